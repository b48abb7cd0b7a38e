package ffcmd

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", "golden"), name, got, *update)
}

// The exact filters of every aspect are pinned, with the sendcmd camera paths, built from package
// reframe's pinned plans of a moving face (its TestGoldenCropPlans): the stored plans rebuild them.
func TestGoldenCropFilters(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "reframe", "testdata", "golden", "moving_face.plans.json"))
	if err != nil {
		t.Fatal(err)
	}
	var plans []reframe.CropPlan
	if err := json.Unmarshal(b, &plans); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := ffmpeg.Input("/job/source")
	split := src.Get("0").Split()
	var outs []*ffmpeg.Stream
	for i, p := range plans {
		if err := WriteCamera(p, dir); err != nil {
			t.Fatal(err)
		}
		s, err := AppendCrop(split.Get(string(rune('0'+i))), p, dir)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, s.Output("/job/"+p.Aspect.Name+".mp4"))
	}
	args := strings.Join(ffmpeg.MergeOutputs(outs...).GetArgs(), "\n")
	golden(t, "moving_face.argv.txt", []byte(strings.ReplaceAll(args, dir, "/job")+"\n"))
	for _, p := range plans {
		if p.Mode != geom.Fill || p.Path.Still() {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join(dir, "crop_"+p.Aspect.Name+".cmd"))
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "moving_face.crop_"+p.Aspect.Name+".cmd", cmd)
	}
}
