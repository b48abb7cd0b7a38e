package pipeline

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/ffcmd"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// The plan is the whole truth: with the probe, the stored plan (its JSON, as the manifest keeps it)
// rebuilds every command of the job and every file those commands read, byte for byte. What the run
// chose afterwards (the poster, the preview's start) is the run's result, not the plan's.

// goldenArgv is the argv of a plan's passes as the golden files pin them (one argument a line, the
// poster's and the finishing pass after a marker each; the poster at 0 s, as the run chooses its time), and the files the passes read that the job writes first (camera
// paths, lower-thirds and captions, caption/vtt), by name, written in dir.
func goldenArgv(t *testing.T, pl *plan.Plan, dir string) (string, map[string]string) {
	t.Helper()
	e := ffcmd.Settings{Preset: "veryfast", CRF: 23}
	var cmds [][]string
	markers := []string{"", "\n# poster pass\n", "\n# finishing pass\n", "\n# finishing pass, beside it\n"}
	switch {
	case pl.Video != nil:
		testenv.Must(t, ffcmd.Prepare(pl.Video, dir))
		testenv.Must(t, writeCaptions(pl.Video.Brand, dir))
		main, err := ffcmd.VideoCommand(pl.Video, "/job/source", "/job", e)
		testenv.Must(t, err)
		cmds = append(append(cmds, main, ffcmd.PosterCommand(pl.Video, "/job/source", "/job", 0)), ffcmd.FinishCommands(pl.Video, "/job", 0, e)...)
	case pl.Audio != nil:
		testenv.Must(t, ffcmd.WriteAudiogramOverlays(pl.Audio, dir))
		testenv.Must(t, writeCaptions(pl.Audio.Brand, dir))
		cmds = append(cmds, ffcmd.AudioCommand(pl.Audio, "/job/source", "/job", e))
	}
	var out strings.Builder
	for i, args := range cmds {
		out.WriteString(markers[i])
		out.WriteString(strings.Join(args, "\n") + "\n")
	}
	files := map[string]string{}
	testenv.Must(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = string(b)
		return err
	}))
	return out.String(), files
}

// fromJSON is plan marshalled and unmarshalled into a fresh plan, as a manifest's reader gets it.
func fromJSON(t *testing.T, pl *plan.Plan) *plan.Plan {
	t.Helper()
	b, err := json.Marshal(pl)
	testenv.Must(t, err)
	var back plan.Plan
	testenv.Must(t, json.Unmarshal(b, &back))
	again, err := json.Marshal(&back)
	testenv.Must(t, err)
	if string(again) != string(b) {
		t.Errorf("the plan's JSON changes on a round trip:\n--- first\n%s\n--- again\n%s", b, again)
	}
	return &back
}

// rebuildsFromJSON checks that the plan's JSON alone rebuilds the argv and the files of the plan.
func rebuildsFromJSON(t *testing.T, pl *plan.Plan) {
	t.Helper()
	want, wantFiles := goldenArgv(t, pl, t.TempDir())
	got, gotFiles := goldenArgv(t, fromJSON(t, pl), t.TempDir())
	if got != want {
		t.Errorf("the argv rebuilt from the plan's JSON differs:\n--- from the plan\n%s\n--- from its JSON\n%s", want, got)
	}
	for _, name := range slices.Sorted(maps.Keys(wantFiles)) {
		if gotFiles[name] != wantFiles[name] {
			t.Errorf("%s rebuilt from the plan's JSON differs:\n--- from the plan\n%s\n--- from its JSON\n%s", name, wantFiles[name], gotFiles[name])
		}
	}
	if len(gotFiles) != len(wantFiles) {
		t.Errorf("files from the plan %d, from its JSON %d", len(wantFiles), len(gotFiles))
	}
}

// TestGoldenStoredPlansRebuildCommands reads every stored golden plan (testdata/golden/*.plan.json, the
// probe and the plan as JSON), builds the commands from it alone and finds the stored argv, byte for
// byte; a branded plan also rebuilds its stored 9:16 overlay script.
func TestGoldenStoredPlansRebuildCommands(t *testing.T) {
	stored, err := filepath.Glob(filepath.Join("testdata", "golden", "*.plan.json"))
	testenv.Must(t, err)
	if len(stored) < len(goldenFiles)+2 {
		t.Fatalf("%d stored plans, want the %d golden files and the branded voice note and video", len(stored), len(goldenFiles)+2)
	}
	branded := 0
	for _, path := range stored {
		base := strings.TrimSuffix(filepath.Base(path), ".plan.json")
		t.Run(base, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			testenv.Must(t, err)
			var s struct {
				Media *probe.Media `json:"media"`
				Plan  *plan.Plan   `json:"plan"`
			}
			dec := json.NewDecoder(strings.NewReader(string(raw)))
			dec.DisallowUnknownFields() // a field the plan no longer has would be read as nothing
			testenv.Must(t, dec.Decode(&s))
			if s.Media == nil || s.Plan == nil {
				t.Fatalf("%s holds no probe or no plan", path)
			}
			dir := t.TempDir()
			got, files := goldenArgv(t, s.Plan, dir)
			want, err := os.ReadFile(filepath.Join("testdata", "golden", base+".argv.txt"))
			testenv.Must(t, err)
			if got != string(want) {
				t.Errorf("the argv built from the stored plan differs from %s.argv.txt:\n--- stored\n%s\n--- built\n%s", base, want, got)
			}
			if b := brandOf(s.Plan); b != nil && b.Overlays() {
				branded++
				var script string
				for name, content := range files {
					if strings.HasPrefix(name, "brand_") && strings.HasSuffix(name, "_9x16.ass") {
						script = content
					}
				}
				want, err := os.ReadFile(filepath.Join("testdata", "golden", base+"_9x16.ass"))
				testenv.Must(t, err)
				if script != string(want) {
					t.Errorf("the 9:16 script built from the stored plan differs from %s_9x16.ass:\n--- stored\n%s\n--- built\n%s", base, want, script)
				}
				if len(b.Cues) > 0 && !hasVTT(files) {
					t.Errorf("the stored plan writes no caption/vtt: %v", slices.Sorted(maps.Keys(files)))
				}
			}
		})
	}
	if branded < 2 {
		t.Errorf("%d branded stored plans, want the voice note and the video", branded)
	}
}

func brandOf(p *plan.Plan) *plan.Branding {
	switch {
	case p.Video != nil:
		return p.Video.Brand
	case p.Audio != nil:
		return p.Audio.Brand
	}
	return nil
}

func hasVTT(files map[string]string) bool {
	for name, content := range files {
		if strings.HasSuffix(name, ".vtt") && strings.HasPrefix(content, "WEBVTT") {
			return true
		}
	}
	return false
}

// TestGoldenBrandedVideo pins the plan, the argv and the 9:16 lower-third of a video with a campaign,
// an artist's name in several scripts and captions (one with a character no font has, so that what is
// burned differs from what is published), and rebuilds them from the plan's JSON.
func TestGoldenBrandedVideo(t *testing.T) {
	dir := t.TempDir()
	srt := filepath.Join(dir, "captions.srt")
	testenv.Must(t, os.WriteFile(srt, []byte("1\n00:00:00,200 --> 00:00:01,400\nΕυχαριστώ, спасибо 🥹\n\n2\n00:00:01,500 --> 00:00:02,800\nشكرا · ありがとう\n"), 0o644))
	p := New(Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23}, testParts(), nil)
	j := planned(t, p, Input{ID: "golden", Path: testenv.Corpus(t, "video/iphone4s_h264_rotated.mov"), Kind: message.KindVideo, WorkDir: dir,
		Artist: "Ελένη 坂本龍一 فيروز Niccolò", Campaign: "example", Captions: srt})
	vp := j.Plan.Video
	if vp.Brand == nil || !vp.Brand.LowerThird() || len(vp.Brand.Cues) != 2 || len(vp.Brand.Burned) != 2 {
		t.Fatalf("the plan's branding: %+v", vp.Brand)
	}
	b, err := json.MarshalIndent(struct {
		Media *probe.Media `json:"media"`
		Plan  *plan.Plan   `json:"plan"`
	}{j.Media, j.Plan}, "", "  ")
	testenv.Must(t, err)
	golden(t, "iphone4s_h264_rotated_campaign_captions.plan.json", append(b, '\n'))
	argv, files := goldenArgv(t, j.Plan, t.TempDir())
	golden(t, "iphone4s_h264_rotated_campaign_captions.argv.txt", []byte(argv))
	golden(t, "iphone4s_h264_rotated_campaign_captions_9x16.ass", []byte(files["brand_crop_9x16.ass"]))
	if !strings.Contains(argv, "ass=filename=/job/brand_crop_9x16.ass") {
		t.Errorf("the 9:16 crop does not draw its overlay:\n%s", argv)
	}
	rebuildsFromJSON(t, j.Plan)
}

// TestPlanIsPlainData: every field of the plan's types is exported and named in JSON, so that nothing
// the commands read is dropped on the way to the manifest (a lower-case field would be).
func TestPlanIsPlainData(t *testing.T) {
	notInJSON := map[string]bool{"Plan.Warnings": true} // the manifest's warnings, not a command's input
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, path string) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Array || ty.Kind() == reflect.Map {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] {
			return
		}
		seen[ty] = true
		for i := range ty.NumField() {
			f := ty.Field(i)
			at := path + "." + f.Name
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case !f.IsExported():
				t.Errorf("%s (%s) is unexported: JSON drops it", at, ty)
			case name == "-" && !notInJSON[at]:
				t.Errorf("%s (%s) is left out of JSON", at, ty)
			case name == "" && !f.Anonymous:
				t.Errorf("%s (%s) has no JSON name", at, ty)
			}
			walk(f.Type, at)
		}
	}
	walk(reflect.TypeOf(plan.Plan{}), "Plan")
}

// manifestJSON records the manifest a Publish writes and the keys it uploads (a unit test of Publish
// alone: no files).
type manifestJSON struct {
	b    []byte
	sent []string
}

func (m *manifestJSON) PutFile(_ context.Context, key, _, _ string) (int64, error) {
	m.sent = append(m.sent, key)
	return 0, nil
}
func (m *manifestJSON) PutJSON(_ context.Context, _ string, v any) (err error) {
	m.b, err = json.Marshal(v)
	return err
}

// What the finishing step chose is the manifest's finish, next to the plan and not in it; a job without
// a finishing choice (audio, a photo) has none.
func TestManifestKeepsFinishOutOfThePlan(t *testing.T) {
	for _, c := range []struct {
		res  *Result
		want string
	}{
		{&Result{Kind: message.KindVideo, Plan: &plan.Plan{Kind: message.KindVideo, Video: &plan.VideoPlan{}},
			Finish: &FinishResult{PosterFrame: 12, PosterScore: 0.5, PosterFrom: PosterFromSubjects, PreviewStart: 1.5}},
			`"finish":{"poster_frame":12,"poster_score":0.5,"poster_from":"subjects","preview_start":1.5}`},
		{&Result{Kind: message.KindAudio, Plan: &plan.Plan{Kind: message.KindAudio, Audio: &plan.AudioPlan{}}}, ""},
	} {
		var m manifestJSON
		_, err := Publish(context.Background(), &m, "m1", c.res, nil)
		testenv.Must(t, err)
		var man struct {
			Plan   map[string]any  `json:"plan"`
			Finish json.RawMessage `json:"finish"`
		}
		testenv.Must(t, json.Unmarshal(m.b, &man))
		if v, ok := man.Plan["video"].(map[string]any); ok && v["chosen"] != nil {
			t.Errorf("the plan holds the run's choice: %s", m.b)
		}
		if c.want == "" && man.Finish != nil || c.want != "" && !strings.Contains(string(m.b), c.want) {
			t.Errorf("manifest %s, want %q", m.b, c.want)
		}
	}
}

// The outputs published early (the poster) are listed in the manifest with the others, and not sent again.
func TestManifestListsEarlyOutputsWithoutSendingThemAgain(t *testing.T) {
	files := []File{
		{Output: message.Output{Name: "poster", Role: message.RolePoster}, Path: "/job/poster.jpg", Ext: ".jpg"},
		{Output: message.Output{Name: "rendition/720p", Role: message.RoleRendition}, Path: "/job/rendition_720p.mp4", Ext: ".mp4"},
	}
	var m manifestJSON
	early := map[string]bool{message.OutputKey("m1", "poster", ".jpg"): true}
	man, err := Publish(context.Background(), &m, "m1", &Result{Kind: message.KindVideo, Files: files}, early)
	testenv.Must(t, err)
	if len(man.Outputs) != 2 || man.Outputs[0].Key != message.OutputKey("m1", "poster", ".jpg") {
		t.Errorf("manifest outputs %+v", man.Outputs)
	}
	if !slices.Equal(m.sent, []string{message.OutputKey("m1", "rendition/720p", ".mp4")}) {
		t.Errorf("sent %v, want the rendition alone", m.sent)
	}
}
