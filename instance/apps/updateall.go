package apps

import (
	"context"
	"sync"

	"github.com/hearth-cloud/hearth/registry/manifest"
)

// Outcomes of one app in UpdateAll.
const (
	OutcomeUpdated = "updated" // a new version was applied
	OutcomeWaiting = "waiting" // a new version asks for more and waits for the owner
	OutcomeCurrent = "current" // nothing newer
	OutcomeFailed  = "failed"  // the update failed; the installed version stays
)

// Outcome is what UpdateAll did with one app.
type Outcome struct {
	Slug   string `json:"slug"`
	Name   string `json:"name"`
	From   string `json:"from"`
	To     string `json:"to,omitempty"`
	Status string `json:"status"` // one of the Outcome… constants
	// NewPermissions say why an update waits: what it asks beyond what the owner approved.
	NewPermissions []manifest.Permission `json:"new_permissions,omitempty"`
	PlanID         string                `json:"plan_id,omitempty"` // the waiting update's plan
	Error          string                `json:"error,omitempty"`
	// App is the app's record after an update, for the runtime to prepare the new version.
	App *Installed `json:"-"`
}

// updateAllParallel bounds the apps updated at once.
const updateAllParallel = 4

// UpdateAll updates every app of the instance from where it came (a registry app from its
// registry only): what asks for no new permission is applied; what asks for more waits for the
// owner and is listed with why; an app that fails is reported without stopping the others.
func (s *Service) UpdateAll(ctx context.Context, instanceID string) ([]Outcome, error) {
	list, err := s.List(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	out := make([]Outcome, len(list))
	sem := make(chan struct{}, updateAllParallel)
	var wg sync.WaitGroup
	for i, in := range list {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = s.updateOne(ctx, instanceID, in)
		})
	}
	wg.Wait()
	return out, nil
}

func (s *Service) updateOne(ctx context.Context, instanceID string, in *Installed) Outcome {
	o := Outcome{Slug: in.Slug, Name: in.Slug}
	if m, err := in.App(); err == nil {
		o.Name, o.From = m.Name, m.Version
	}
	res, err := s.Update(ctx, instanceID, in.Slug, "")
	switch {
	case err != nil:
		o.Status, o.Error = OutcomeFailed, err.Error()
	case res.Current && res.App.Pending != nil:
		o.Status, o.To, o.PlanID = OutcomeWaiting, res.App.Pending.Version, res.App.Pending.ID
		o.NewPermissions = res.App.Pending.NewPermissions
	case res.Current:
		o.Status = OutcomeCurrent
	case res.Applied:
		o.Status, o.To, o.App = OutcomeUpdated, res.Plan.Version, res.App
	default:
		o.Status, o.To, o.PlanID, o.NewPermissions = OutcomeWaiting, res.Plan.Version, res.Plan.ID, res.Plan.NewPermissions
	}
	return o
}
