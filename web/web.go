// Package web holds quinte's pages for people: the artist's page an invite link opens (artist.go) and
// what every page shares: its security headers (secure.go), its strings in English and Italian
// (i18n.go) and its embedded assets with versioned names (assets.go). It calls the API over HTTP from
// the browser like any client and knows nothing of S3 or the queue; it only checks invite tokens with
// the invite book, so a link that cannot be used gets a page of its own instead of an API error.
package web

import (
	"context"
	"log/slog"
	"sync"

	"github.com/quinte-media/quinte/invite"
)

// Invites is the part of the invite book the pages need.
type Invites interface {
	Authenticate(ctx context.Context, tok string) (*invite.Invite, error)
}

// Options are what the pages are built from.
type Options struct {
	Invites Invites
	// MediaOrigin is where the links to posters and crops point when it is not this server (presigned S3
	// links: scheme://host[:port]); the CSP allows it for images, media and fetches. Called once per
	// page, so it may be computed lazily.
	MediaOrigin func() string
	Log         *slog.Logger
}

// Pages serves the pages and their assets.
type Pages struct {
	opt    Options
	assets *assetSet
	text   catalogue
}

// New returns the pages. It fails only if the embedded files are broken, which a test catches.
func New(opt Options) (*Pages, error) {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.MediaOrigin == nil {
		opt.MediaOrigin = func() string { return "" }
	}
	embedded.once.Do(func() {
		embedded.assets, embedded.err = loadAssets()
		if embedded.err == nil {
			embedded.text, embedded.err = loadCatalogue()
		}
	})
	if embedded.err != nil {
		return nil, embedded.err
	}
	return &Pages{opt: opt, assets: embedded.assets, text: embedded.text}, nil
}

// embedded is what the embedded files give, read (and compressed) once per process.
var embedded struct {
	once   sync.Once
	assets *assetSet
	text   catalogue
	err    error
}
