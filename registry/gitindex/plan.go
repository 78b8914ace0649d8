package gitindex

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// releaseTagRe matches the release tags: vX.Y.Z, X.Y.Z and their
// -beta.N forms. Anything else (odd names included) is ignored.
var releaseTagRe = regexp.MustCompile(`^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-beta\.(0|[1-9][0-9]*))?$`)

// releaseVersion returns the version a tag name stands for, if it is a
// release tag.
func releaseVersion(tag string) (manifest.Version, bool) {
	if len(tag) > manifest.MaxVersionLen || !releaseTagRe.MatchString(tag) {
		return manifest.Version{}, false
	}
	v, err := manifest.ParseVersion(strings.TrimPrefix(tag, "v"))
	if err != nil {
		return manifest.Version{}, false
	}
	return v, true
}

// job is one ref to fetch and index.
type job struct {
	name    string // tag or branch name
	ref     string // full ref name
	commit  string
	dev     bool
	version manifest.Version // the tag's version, for release tags
}

// label names the job in a Problem.
func (j job) label() string { return j.name }

// plan is what a run has to fetch.
type plan struct {
	jobs []job
}

// plan picks the new release tags and the dev head to fetch, and reports
// moved tags, duplicate versions and the MaxTags overflow in res.
func (ix *Indexer) plan(refs *gitsource.RemoteRefs, known map[string]string, res *Result) plan {
	byVersion := map[string]string{} // version → tag, known tags first
	for ref := range known {
		name, ok := strings.CutPrefix(ref, "refs/tags/")
		if v, release := releaseVersion(name); ok && release {
			byVersion[v.String()] = name
		}
	}
	var jobs []job
	for _, t := range refs.Tags {
		v, ok := releaseVersion(t.Name)
		if !ok {
			continue
		}
		if was, ok := known[t.Full]; ok {
			if was != t.Commit {
				res.Problems = append(res.Problems, Problem{Tag: t.Name, Message: fmt.Sprintf(
					"tag moved from commit %s to %s; release tags must not move: publish a new version", was, t.Commit)})
			}
			continue
		}
		if other, ok := byVersion[v.String()]; ok && other != t.Name {
			res.Problems = append(res.Problems, Problem{Tag: t.Name, Message: fmt.Sprintf(
				"version %s is already tag %s", v, other)})
			res.Refs[t.Full] = t.Commit
			continue
		}
		byVersion[v.String()] = t.Name
		jobs = append(jobs, job{name: t.Name, ref: t.Full, commit: t.Commit, version: v})
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].version.Less(jobs[j].version) })
	if max := ix.maxTags(); len(jobs) > max {
		res.Problems = append(res.Problems, Problem{Message: fmt.Sprintf(
			"%d new release tags: indexed the first %d by version, the rest on the next run", len(jobs), max), Retry: true})
		jobs = jobs[:max]
	}
	if dev, ok := devJob(refs, known); ok {
		jobs = append(jobs, dev)
	}
	for ref := range res.Refs { // only the current default branch is followed
		if strings.HasPrefix(ref, "refs/heads/") && ref != "refs/heads/"+refs.DefaultBranch {
			delete(res.Refs, ref)
		}
	}
	return plan{jobs: jobs}
}

// devJob returns the default branch's head when it moved since known.
func devJob(refs *gitsource.RemoteRefs, known map[string]string) (job, bool) {
	if refs.DefaultBranch == "" {
		return job{}, false
	}
	for _, b := range refs.Branches {
		if b.Name == refs.DefaultBranch && known[b.Full] != b.Commit {
			return job{name: b.Name, ref: b.Full, commit: b.Commit, dev: true}, true
		}
	}
	return job{}, false
}

func (ix *Indexer) maxTags() int {
	if ix.MaxTags > 0 {
		return ix.MaxTags
	}
	return DefaultMaxTags
}

func (ix *Indexer) concurrency() int {
	if ix.Concurrency > 0 {
		return ix.Concurrency
	}
	return DefaultConcurrency
}
