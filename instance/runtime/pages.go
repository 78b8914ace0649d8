package runtime

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/instance/home"
	"github.com/hearth-cloud/hearth/instance/owner"
	"github.com/hearth-cloud/hearth/instance/proxy"
	"github.com/hearth-cloud/hearth/instance/store"
	"github.com/hearth-cloud/hearth/instance/tenants"
	"github.com/hearth-cloud/hearth/web"
)

// ownerDBSuffix names the database of an instance's owner account and sessions: after the
// instance prefix, it starts with '_', which no doctype does, so the Data System can never
// reach it.
const ownerDBSuffix = "_owner"

// ownerOf returns the owner of inst, keeping their account in the instance's owner database
// (created by the first write: an instance nobody claimed yet costs no database).
func (rt *Runtime) ownerOf(_ context.Context, inst *tenants.Instance) (*owner.Owner, error) {
	key := hmac.New(sha256.New, inst.Secret)
	key.Write([]byte("hearth-owner-onboarding"))
	return owner.New(owner.Config{Store: owner.KivikStore{DB: rt.client.DB(store.InstancePrefix(inst.ID) + ownerDBSuffix)},
		Instance: inst.ID, Label: inst.Domain, Secret: key.Sum(nil), Hasher: rt.hasher, Throttle: rt.throttle})
}

// NewOnboarding issues a one-time link that lets its holder set the owner's passphrase of
// inst, and voids the links given before; reset first forgets the passphrase and two-factor
// (a lost passphrase).
func (rt *Runtime) NewOnboarding(ctx context.Context, inst *tenants.Instance, reset bool) (string, time.Time, error) {
	return rt.onboardingLink(ctx, inst, func(o *owner.Owner) (string, time.Time, error) {
		if reset {
			return o.Reset(ctx)
		}
		return o.NewOnboarding(ctx)
	})
}

// FirstOnboarding issues the link given when an instance is created: signed, it is not
// stored, so that creating an instance writes nothing but its record.
func (rt *Runtime) FirstOnboarding(ctx context.Context, inst *tenants.Instance) (string, time.Time, error) {
	return rt.onboardingLink(ctx, inst, func(o *owner.Owner) (string, time.Time, error) { return o.SignedOnboarding(ctx) })
}

func (rt *Runtime) onboardingLink(ctx context.Context, inst *tenants.Instance, issue func(*owner.Owner) (string, time.Time, error)) (string, time.Time, error) {
	o, err := rt.ownerOf(ctx, inst)
	if err != nil {
		return "", time.Time{}, err
	}
	token, expires, err := issue(o)
	if err != nil {
		return "", time.Time{}, err
	}
	return rt.publicScheme() + "://" + inst.Domain + "/onboarding?token=" + token, expires, nil
}

func (rt *Runtime) publicScheme() string {
	if rt.cfg.PublicScheme != "" {
		return rt.cfg.PublicScheme
	}
	return "http"
}

// scheme is the scheme the browser used: https when the request came over TLS or through a
// proxy that says so.
func scheme(r *http.Request) string {
	if web.Secure(r) {
		return "https"
	}
	return "http"
}

func (rt *Runtime) flat() proxy.FlatScheme {
	return proxy.FlatScheme{Enabled: rt.cfg.FlatAppsDomain != "", Domain: rt.cfg.FlatAppsDomain}
}

// appOrigin is the origin of app slug of inst, as the browser reaches it.
func (rt *Runtime) appOrigin(r *http.Request, inst *tenants.Instance, slug string) string {
	return scheme(r) + "://" + proxy.AppHostName(inst.Domain, slug, rt.flat())
}

// isAppHost reports the slug of the app whose origin host is, among inst's.
func (rt *Runtime) isAppHost(inst *tenants.Instance, host string) (string, bool) {
	ah, err := proxy.ParseAppHost(host, func(d string) bool { return d == inst.Domain }, rt.flat())
	if err != nil {
		return "", false
	}
	return ah.Slug, true
}

// newHome builds the owner's pages.
func (rt *Runtime) newHome() (*home.Home, error) {
	pages, err := web.Load(rt.log)
	if err != nil {
		return nil, err
	}
	return home.New(home.Config{
		Pages:         pages,
		Instance:      instanceOf,
		Owner:         rt.ownerOf,
		Apps:          rt.apps,
		Devices:       rt.devices,
		Installed:     rt.appInstalled,
		Removed:       rt.appRemoved,
		RemoveDoctype: rt.destroyDoctype,
		Runner:        rt.runner(),
		AppOrigin:     rt.appOrigin,
		IsAppHost:     rt.isAppHost,
		Log:           rt.log,
	}), nil
}

func instanceOf(c *gin.Context) *tenants.Instance {
	v, _ := c.Get("instance")
	inst, _ := v.(*tenants.Instance)
	return inst
}
