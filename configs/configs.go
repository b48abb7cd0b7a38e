// Package configs holds quinte's configuration files. default.yaml is embedded in the binary so that
// `quinte run` works from any directory; docker.yaml is the one the containers read; campaigns/ holds
// the campaigns built into the binary (a campaign is one file, see pipeline/brand).
package configs

import (
	"embed"
	"io/fs"
)

// Default is configs/default.yaml, the base every configuration starts from.
//
//go:embed default.yaml
var Default []byte

//go:embed campaigns/*.yaml
var campaigns embed.FS

// Campaigns are the built-in campaign files (configs/campaigns/*.yaml), at the root of the returned FS.
func Campaigns() fs.FS {
	sub, err := fs.Sub(campaigns, "campaigns")
	if err != nil {
		panic(err) // the directory is embedded at build time: it exists
	}
	return sub
}
