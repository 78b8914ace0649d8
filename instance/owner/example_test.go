package owner_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/owner"
	"github.com/hearth-cloud/hearth/instance/store"
	_ "github.com/hearth-cloud/hearth/instance/store/embedded"
)

// The life of an owner: the onboarding link sets the passphrase, a login opens a session whose
// cookie every request presents, logout ends it.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "owner-example")
	defer func() { _ = os.RemoveAll(dir) }()
	client, _ := kivik.New(store.EmbeddedDriver, dir)
	defer func() { _ = client.Close() }()

	// One Hasher and one Throttle serve every instance of a runtime.
	hasher, throttle := owner.NewHasher(owner.DefaultParams(), 2), owner.NewThrottle(0)
	o, _ := owner.New(owner.Config{
		Store:    owner.KivikStore{DB: client.DB(store.DBName("0123abcd", "io.hearth.owner"))},
		Instance: "0123abcd", Label: "alice.example", Hasher: hasher, Throttle: throttle,
	})

	token, _, _ := o.NewOnboarding(ctx) // printed by `hearth instances add` as a link
	fmt.Println(o.Onboard(ctx, token, "too short"))
	fmt.Println(o.Onboard(ctx, token, "correct horse battery staple"))

	_, _, err := o.Login(ctx, "wrong passphrase", "", owner.ClientInfo{Addr: "192.0.2.1"})
	fmt.Println(errors.Is(err, owner.ErrBadPassphrase))
	cookie, _, _ := o.Login(ctx, "correct horse battery staple", "", owner.ClientInfo{Addr: "192.0.2.1"})
	_, err = o.Session(ctx, cookie)
	fmt.Println(err)
	_ = o.Logout(ctx, cookie)
	_, err = o.Session(ctx, cookie)
	fmt.Println(err)
	// Output:
	// owner: passphrase not accepted: it has 9 characters, it needs at least 10
	// <nil>
	// true
	// <nil>
	// owner: not logged in
}
