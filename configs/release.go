package configs

import (
	"embed"
	"io/fs"
)

//go:embed release/*.md
var releases embed.FS

// Releases are the release texts an artist agrees to (configs/release/{version}.{lang}.md), at the
// root of the returned FS. See package release.
func Releases() fs.FS {
	sub, err := fs.Sub(releases, "release")
	if err != nil {
		panic(err) // the directory is embedded at build time: it exists
	}
	return sub
}
