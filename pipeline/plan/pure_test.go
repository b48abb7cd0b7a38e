package plan

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestPlanIsPure: planning starts no process and builds no ffmpeg command. What the package imports,
// and what those import in turn (go list -deps), holds neither os/exec nor ffmpeg-go.
func TestPlanIsPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	self := ""
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		imports[f[0]] = f[1:]
		self = f[0] // go list -deps prints the package itself last
	}
	// Walk from plan, not through the packages above.
	seen := map[string]string{self: ""}
	queue := []string{self}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, q := range imports[p] {
			if _, ok := seen[q]; ok {
				continue
			}
			seen[q] = p
			queue = append(queue, q)
		}
	}
	for _, banned := range []string{"os/exec", "github.com/u2takey/ffmpeg-go"} {
		if by, ok := seen[banned]; ok {
			route := []string{banned}
			for p := by; p != ""; p = seen[p] {
				route = append(route, p)
			}
			slices.Reverse(route)
			t.Errorf("package plan reaches %s: %s", banned, strings.Join(route, " → "))
		}
	}
}
