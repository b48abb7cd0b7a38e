package message

import (
	"sort"
	"strings"
	"testing"
	"time"
)

func TestNewIDSortsByTimeAndIsValid(t *testing.T) {
	base := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var ids []string
	for i := 0; i < 100; i++ {
		id := newID(base.Add(time.Duration(i) * time.Millisecond))
		if !ValidID(id) {
			t.Fatalf("id %q is not valid", id)
		}
		ids = append(ids, id)
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatalf("ids are not in creation order: %v", ids[:5])
	}
	if newID(base) == newID(base) {
		t.Fatal("two ids in the same millisecond are equal")
	}
}

func TestValidIDRejectsHostileStrings(t *testing.T) {
	for _, s := range []string{"", "../../etc/passwd", "01jf0000000000000000000000/x", "01JF00000000000000000000AB", "0123456789abcdefghjkmnpqrs ", "9zzzzzzzzzzzzzzzzzzzzzzzzz"} {
		if ValidID(s) {
			t.Errorf("ValidID(%q) = true", s)
		}
	}
}

func TestIDFromUploadID(t *testing.T) {
	if got := IDFromUploadID("01jf0000000000000000000000+abc.def"); got != "01jf0000000000000000000000" {
		t.Fatalf("got %q", got)
	}
}

func TestValidCampaign(t *testing.T) {
	for s, want := range map[string]bool{
		"spring-tour": true, "crew2026": true, "a": true, strings.Repeat("a", 64): true,
		"": false, "Spring": false, "-tour": false, "tour-": false, "../etc": false, "a/b": false,
		"tour.yaml": false, "a b": false, strings.Repeat("a", 65): false, "été": false,
	} {
		if got := ValidCampaign(s); got != want {
			t.Errorf("ValidCampaign(%q) = %v, want %v", s, got, want)
		}
	}
}
