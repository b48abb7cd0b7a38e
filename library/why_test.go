package library

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/quinte-media/quinte/message"
)

// The reasons read from the pipeline's golden plans (plan and probe, as the manifest keeps them): each
// source's peculiarity is named on the outputs it shaped, every crop says how it was made, and every
// reason has a code and an English sentence.
func TestExplainGoldenPlans(t *testing.T) {
	for name, want := range map[string]map[string][]string{
		"iphone4s_h264_rotated":                   {"crop/9x16": {"rotated"}, "crop/1x1": {"rotated", "fill_salient"}},
		"android_portrait_4k60_h264":              {"crop/9x16": {"frame_rate"}, "rendition/720p": {"frame_rate"}},
		"av1_hdr10_pq_720x1280":                   {"crop/9x16": {"hdr_tonemapped"}, "poster": {"hdr_tonemapped", "poster_best_frame"}},
		"anamorphic_sar3x2_1280x1080":             {"crop/16x9": {"square_pixels"}},
		"iphone14pro_dolbyvision_hlg_portrait":    {"crop/9x16": {"hdr_tonemapped"}},
		"iphone4s_h264_rotated_campaign_captions": {"crop/9x16": {"rotated", "branded"}, "crop/1x1": {"branded"}},
	} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "pipeline", "testdata", "golden", name+".plan.json"))
			if err != nil {
				t.Fatal(err)
			}
			var g struct {
				Media any `json:"media"`
				Plan  struct {
					Video struct {
						Outputs []message.Output `json:"outputs"`
					} `json:"video"`
				} `json:"plan"`
			}
			var raw map[string]any
			if json.Unmarshal(data, &g) != nil || json.Unmarshal(data, &raw) != nil {
				t.Fatal("golden plan does not decode")
			}
			man := message.Manifest{Plan: raw["plan"], Probe: g.Media, Outputs: g.Plan.Video.Outputs}
			got := explain(man)
			for out, codes := range want {
				var have []string
				for _, w := range got[out] {
					have = append(have, w.Code)
				}
				for _, c := range codes {
					if !slices.Contains(have, c) {
						t.Errorf("%s: reasons %v lack %s", out, have, c)
					}
				}
			}
			for _, o := range man.Outputs {
				ws := got[o.Name]
				if o.Role == message.RoleCrop && !slices.ContainsFunc(ws, func(w message.Why) bool { return w.Params["mode"] != nil }) {
					t.Errorf("%s says nothing of how it was cropped: %v", o.Name, ws)
				}
				for _, w := range ws {
					if w.Code == "" || w.Text == "" {
						t.Errorf("%s: a reason without code or text: %+v", o.Name, w)
					}
					if o.Role == message.RoleCrop || o.Name == "rendition/720p" {
						t.Logf("%s: %s: %s", o.Name, w.Code, w.Text)
					}
				}
			}
		})
	}
}
