package home

import (
	"errors"
	"net/http"
	"time"

	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/devices"
)

// deviceRow is a device as the settings list it.
type deviceRow struct {
	ID       string
	Name     string
	Access   []deviceAccess
	Approved time.Time
	LastSync time.Time
	Revoked  bool
	Why      string
}

type deviceAccess struct{ Doctype, Label string }

// deviceRows lists the instance's devices for the settings.
func (h *Home) deviceRows(q *req) ([]deviceRow, error) {
	list, err := h.cfg.Devices.List(q.ctx(), q.inst.ID)
	if err != nil {
		return nil, err
	}
	rows := make([]deviceRow, 0, len(list))
	for _, d := range list {
		row := deviceRow{ID: d.ID, Name: d.Name, Approved: d.Approved, LastSync: d.LastSync,
			Revoked: d.State == devices.StateRevoked, Why: d.Why}
		for _, s := range d.Scopes {
			sc, err := auth.ParseScope(s)
			if err != nil {
				continue
			}
			row.Access = append(row.Access, deviceAccess{Doctype: sc.Doctype, Label: accessLabel(sc)})
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// revokeDevice revokes a device: its tokens stop working at once.
func (h *Home) revokeDevice(q *req) error {
	err := h.cfg.Devices.Revoke(q.ctx(), q.inst.ID, q.c.Param("id"))
	if errors.Is(err, devices.ErrNotFound) {
		return h.settingsPage(q, http.StatusNotFound, "", "No such device.")
	}
	if err != nil {
		return err
	}
	return h.settingsPage(q, http.StatusOK, "The device is revoked: it can no longer sync.", "")
}
