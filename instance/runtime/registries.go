package runtime

import (
	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/store"
)

// settingsDBSuffix names the database of an instance's settings (the registries it trusts):
// like the owner's, it starts with '_' after the instance prefix, out of the Data System's
// reach, and it is created by the first write.
const settingsDBSuffix = "_settings"

// newTrust keeps each instance's trusted registries in its settings database; an instance
// without its own list trusts the runtime's.
func (rt *Runtime) newTrust() *apps.TrustStore {
	return &apps.TrustStore{
		Settings: func(instanceID string) *kivik.DB {
			return rt.client.DB(store.InstancePrefix(instanceID) + settingsDBSuffix)
		},
		Default: rt.cfg.Registries,
	}
}
