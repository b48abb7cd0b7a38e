// Package fontconfig asks this machine's fontconfig which characters its fonts draw (fc-list and
// fc-match, once per process) and gives the answer as a brand.Coverage: what the overlay scripts
// choose fonts from and what the brand step checks a name or a caption against. It is the only part
// of the branding that runs a program, kept out of package brand so that planning runs none.
package fontconfig

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"time"

	"github.com/quinte-media/quinte/pipeline/brand"
)

// timeout bounds the two runs (they read fontconfig's cache: milliseconds).
const timeout = 30 * time.Second

var system = sync.OnceValues(func() (*brand.Coverage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	all, sorted := brand.FontconfigQueries()
	listed, err := exec.CommandContext(ctx, all[0], all[1:]...).Output()
	if err != nil {
		return nil, fmt.Errorf("fonts: fc-list (Debian package fontconfig, installed by scripts/deps.sh): %w", err)
	}
	fallbacks, err := exec.CommandContext(ctx, sorted[0], sorted[1:]...).Output()
	if err != nil {
		return nil, fmt.Errorf("fonts: fc-match (Debian package fontconfig, installed by scripts/deps.sh): %w", err)
	}
	return brand.ParseFontconfig(listed, fallbacks)
})

// Coverage is the coverage of this machine's fonts, read once per process.
func Coverage() (*brand.Coverage, error) { return system() }
