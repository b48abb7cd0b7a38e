package ffcmd

import (
	"strings"
	"testing"

	"github.com/quinte-media/quinte/pipeline/geom"
)

// The subject analysis's decode, exactly; a job path holding what filter options and the filtergraph
// give a meaning to stays one path.
func TestSubjectCommand(t *testing.T) {
	got := strings.Join(SubjectCommand(SubjectDecode{Path: "/up/x.mp4", Stream: 1, Size: geom.Size{W: 640, H: 360}, Rate: 4, Scene: 10,
		CutsFile: `/tmp/j:o,b;[x]'q\z/reframe_cuts.txt`}), " ")
	want := `-hide_banner -nostdin -nostats -v error -y -filter_complex_threads 2 -protocol_whitelist file -skip_frame noref -i file:/up/x.mp4 -filter_complex ` +
		`[0:1]split=2[s0][s1];[s0]fps=4[s2];[s2]scale=640:360:flags=area[s3];[s3]format=yuv420p[s4];[s1]scale=160:90:flags=fast_bilinear[s5];` +
		`[s5]scdet=t=10[s6];[s6]metadata=mode=print:file=/tmp/j\\:o\,b\;\[x\]\\\'q\\\\z/reframe_cuts.txt[s7] ` +
		`-map [s4] -an -dn -f rawvideo -pix_fmt yuv420p -sn pipe:1 -map [s7] -f null -`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
