package pipeline

import (
	"fmt"
	"math"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
)

// TestToneMapLooksLikeReference: HDR sources come out SDR BT.709 neither washed out nor clipped: the
// mean luma and saturation of a rendition's frame match the same source frame tone-mapped by a reference
// ffmpeg command (zscale to linear light, hable, back to BT.709), and differ from the frame shown without
// tone mapping, which is what a player that ignores HDR would show.
func TestToneMapLooksLikeReference(t *testing.T) {
	for _, f := range []string{
		"video/iphone14pro_dolbyvision_hlg_portrait.mov", // Dolby Vision 8.4, HLG base layer
		"video/av1_hdr10_pq_720x1280.mp4",                // HDR10, PQ
	} {
		t.Run(f, func(t *testing.T) {
			src := testenv.Corpus(t, f)
			res := process(t, src)
			var out File
			for _, o := range res.Files {
				if o.Name == "rendition/720p" {
					out = o
				}
			}
			p := testenv.Probe(t, src)
			v := p.Streams[p.Stream("video")]
			tin := map[string]string{"arib-std-b67": "arib-std-b67", "smpte2084": "smpte2084"}[v.ColorTransfer]
			if tin == "" {
				t.Fatalf("source transfer %q is not HDR", v.ColorTransfer)
			}
			at := math.Min(1, testenv.MediaDuration(t, src)/2)
			scale := fmt.Sprintf("scale=%d:%d", out.Width, out.Height)
			reference := fmt.Sprintf("zscale=tin=%s:pin=2020:min=2020_ncl:rin=limited:t=linear:npl=100,format=gbrpf32le,zscale=p=709,"+
				"tonemap=tonemap=hable:desat=0,zscale=t=709:m=709:r=limited,format=yuv420p,%s", tin, scale)
			got := testenv.Look(t, out.Path, at, "")
			ref := testenv.Look(t, src, at, reference)
			naive := testenv.Look(t, src, at, scale+",format=yuv420p")
			t.Logf("luma/saturation: quinte %.1f/%.1f, reference %.1f/%.1f, untouched %.1f/%.1f", got.Luma, got.Saturation, ref.Luma, ref.Saturation, naive.Luma, naive.Saturation)
			const lumaTol, satTol = 4.0, 3.0
			if math.Abs(got.Luma-ref.Luma) > lumaTol || math.Abs(got.Saturation-ref.Saturation) > satTol {
				t.Errorf("tone-mapped frame differs from the reference by %.1f luma, %.1f saturation", got.Luma-ref.Luma, got.Saturation-ref.Saturation)
			}
			if math.Abs(naive.Luma-ref.Luma) <= lumaTol && math.Abs(naive.Saturation-ref.Saturation) <= satTol {
				t.Errorf("the untouched frame is as close to the reference: this check cannot tell tone mapping from none")
			}
		})
	}
}
