package gitsource

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// session is one checked upload-pack conversation with a remote.
type session struct {
	url  string
	sess transport.UploadPackSession
	adv  *packp.AdvRefs
}

// openSession checks rawURL under policy, then opens an upload-pack session
// with a transport of its own and reads the advertised references.
func openSession(ctx context.Context, rawURL string, policy Policy) (*session, error) {
	if err := CheckURL(ctx, rawURL, policy); err != nil {
		return nil, err
	}
	ep, err := transport.NewEndpoint(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrURL, rawURL, err)
	}
	client := githttp.NewClientWithOptions(newHTTPClient(policy), &githttp.ClientOptions{
		RedirectPolicy: githttp.FollowInitialRedirects,
	})
	sess, err := client.NewUploadPackSession(ep, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnreachable, rawURL, err)
	}
	adv, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		sess.Close()
		return nil, remoteError(ctx, rawURL, err)
	}
	return &session{url: rawURL, sess: sess, adv: adv}, nil
}

func (s *session) Close() error { return s.sess.Close() }

// remoteError classifies an error from the remote: a policy refusal met on
// a redirect or at connection time keeps its sentinel, a deadline becomes
// ErrTimeout, anything else ErrUnreachable.
func remoteError(ctx context.Context, rawURL string, err error) error {
	for _, sentinel := range []error{ErrAddress, ErrHost, ErrScheme, ErrCredentials, ErrURL, ErrTooLarge} {
		if errors.Is(err, sentinel) {
			return err
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %s: %w", ErrTimeout, rawURL, err)
	}
	if errors.Is(err, transport.ErrRepositoryNotFound) || errors.Is(err, transport.ErrAuthenticationRequired) {
		return fmt.Errorf("%w: %s: no public repository there: %w", ErrUnreachable, rawURL, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnreachable, rawURL, err)
}
