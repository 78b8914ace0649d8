package home

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"

	"github.com/hearth-cloud/hearth/instance/owner"
)

type sessionRow struct {
	owner.SessionInfo
	Current bool
}

type settingsData struct {
	TOTP              bool
	RecoveryCodesLeft int
	Sessions          []sessionRow
	Devices           []deviceRow
}

func (h *Home) settings(q *req) error { return h.settingsPage(q, http.StatusOK, "", "") }

// settingsPage renders the settings with a notice or an error.
func (h *Home) settingsPage(q *req, status int, notice, errMsg string) error {
	st, err := q.owner.Status(q.ctx())
	if err != nil {
		return err
	}
	list, err := q.owner.ListSessions(q.ctx())
	if err != nil {
		return err
	}
	d := settingsData{TOTP: st.TOTP, RecoveryCodesLeft: st.RecoveryCodesLeft}
	for _, s := range list {
		d.Sessions = append(d.Sessions, sessionRow{SessionInfo: s, Current: s.ID == q.session.ID})
	}
	if d.Devices, err = h.deviceRows(q); err != nil {
		return err
	}
	v := q.view("Settings", d)
	v.Notice, v.Error = notice, errMsg
	h.render(q, status, "settings", v)
	return nil
}

// settingsError shows a failed settings change on the settings page, when it is the owner's
// to fix.
func (h *Home) settingsError(q *req, err error) error {
	switch {
	case errors.Is(err, owner.ErrBadPassphrase):
		return h.settingsPage(q, http.StatusForbidden, "", "Wrong passphrase.")
	case errors.Is(err, owner.ErrInvalidPassphrase), errors.Is(err, owner.ErrBadCode),
		errors.Is(err, owner.ErrTOTPEnabled), errors.Is(err, owner.ErrTOTPDisabled):
		return h.settingsPage(q, http.StatusBadRequest, "", clean(err))
	case errors.Is(err, owner.ErrThrottled):
		status, msg := userError(err)
		return h.settingsPage(q, status, "", msg)
	}
	return err
}

func (h *Home) changePassphrase(q *req) error {
	next := q.c.PostForm("next")
	if next != q.c.PostForm("confirm") {
		return h.settingsPage(q, http.StatusBadRequest, "", "The two new passphrases differ.")
	}
	if err := q.owner.ChangePassphrase(q.ctx(), q.c.PostForm("current"), next, q.cookie); err != nil {
		return h.settingsError(q, err)
	}
	h.alive.ForgetAllBut(q.session.ID)
	h.ended.Add(1)
	return h.settingsPage(q, http.StatusOK, "Passphrase changed. Every other session was logged out.", "")
}

type totpData struct {
	Secret string
	URI    template.URL // otpauth://, which html/template would otherwise refuse
	QR     template.URL // the same as a PNG data: URL
}

func (h *Home) beginTOTP(q *req) error {
	setup, err := q.owner.BeginTOTP(q.ctx())
	if err != nil {
		return h.settingsError(q, err)
	}
	h.render(q, http.StatusOK, "totp", q.view("Two-factor authentication", totpData{
		Secret: setup.Secret,
		URI:    template.URL(setup.URL), //nolint:gosec // built by the owner package, not from input
		QR:     template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(setup.QRPNG)),
	}))
	return nil
}

func (h *Home) confirmTOTP(q *req) error {
	codes, err := q.owner.ConfirmTOTP(q.ctx(), q.c.PostForm("code"))
	if err != nil {
		return h.settingsError(q, err)
	}
	h.render(q, http.StatusOK, "codes", q.view("Recovery codes", codes))
	return nil
}

func (h *Home) disableTOTP(q *req) error {
	if err := q.owner.DisableTOTP(q.ctx(), q.c.PostForm("passphrase")); err != nil {
		return h.settingsError(q, err)
	}
	return h.settingsPage(q, http.StatusOK, "Two-factor authentication is off.", "")
}

func (h *Home) recoveryCodes(q *req) error {
	codes, err := q.owner.RegenerateRecoveryCodes(q.ctx(), q.c.PostForm("passphrase"))
	if err != nil {
		return h.settingsError(q, err)
	}
	h.render(q, http.StatusOK, "codes", q.view("Recovery codes", codes))
	return nil
}

func (h *Home) revokeSession(q *req) error {
	id := q.c.Param("id")
	err := q.owner.RevokeSession(q.ctx(), id)
	if err != nil && !errors.Is(err, owner.ErrNoSession) {
		return err
	}
	h.forgetSession(id)
	return h.settingsPage(q, http.StatusOK, "That session is logged out.", "")
}
