package runtime

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/devices"
	"github.com/hearth-cloud/hearth/instance/store"
	"github.com/hearth-cloud/hearth/instance/tenants"
)

// devicesDBSuffix names the database of an instance's devices: like the owner's, it starts
// with '_' after the instance prefix, so the Data System can never reach it.
const devicesDBSuffix = "_devices"

// newDevices returns the devices of every instance, each in its devices database.
func (rt *Runtime) newDevices() *devices.Service {
	return &devices.Service{
		DB:  func(id string) *kivik.DB { return rt.client.DB(store.InstancePrefix(id) + devicesDBSuffix) },
		Log: rt.log,
		OnRevoke: func(instanceID, id string) {
			rt.streams.end(instanceID, devices.SubjectPrefix+id, nil)
		},
	}
}

// oauthRoutes mounts the OAuth endpoints devices call (the consent page is home's).
func (rt *Runtime) oauthRoutes(r gin.IRoutes) {
	serve := func(c *gin.Context) {
		rt.devices.ServeHTTP(c.Writer, c.Request, realmOf(c.Request, instanceOf(c)))
	}
	for _, p := range []string{devices.MetadataPath, devices.RegisterPath, devices.TokenPath} {
		r.Any(p, serve)
	}
}

// realmOf is inst as its devices see it, its issuer the origin the request reached.
func realmOf(r *http.Request, inst *tenants.Instance) devices.Realm {
	return devices.Realm{ID: inst.ID, Secret: inst.Secret, Issuer: scheme(r) + "://" + inst.Domain}
}

// checkDevice checks a device's access token against the device as the owner approved it
// now, and records the device's last sync.
func (rt *Runtime) checkDevice(ctx context.Context, inst *tenants.Instance, claims auth.Claims) error {
	id := strings.TrimPrefix(claims.Subject, devices.SubjectPrefix)
	if err := rt.devices.Check(ctx, inst.ID, id, claims.Scopes); err != nil {
		return fmt.Errorf("%w: %w", auth.ErrBadToken, err)
	}
	rt.devices.Seen(ctx, inst.ID, id)
	return nil
}
