// Package configs holds quinte's configuration files. default.yaml is embedded in the binary so that
// `quinte run` works from any directory; docker.yaml is the one the containers read.
package configs

import _ "embed"

// Default is configs/default.yaml, the base every configuration starts from.
//
//go:embed default.yaml
var Default []byte
