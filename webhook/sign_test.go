package webhook

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

// The test vector of the Standard Webhooks reference libraries (libraries/go/webhooks_test.go and the
// others share it).
func TestSignReferenceVector(t *testing.T) {
	key, err := SecretKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
}

func TestRetryDelay(t *testing.T) {
	for n, want := range []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour, 10 * time.Hour} {
		if got := RetryDelay(n, errors.New("503"), nil); got != want {
			t.Errorf("retry %d waits %s, want %s", n, got, want)
		}
	}
	if got := RetryDelay(3, &retryAfter{err: errors.New("429"), delay: 42 * time.Second}, nil); got != 43*time.Second {
		t.Errorf("with Retry-After 42 s the retry waits %s", got)
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"120": 2 * time.Minute, "0": 0, "99999999": 24 * time.Hour,
		"Thu, 03 Dec 2026 12:01:00 GMT": time.Minute, "Thu, 03 Dec 2026 11:00:00 GMT": 0,
	} {
		if got, ok := parseRetryAfter(v, now); !ok || got != want {
			t.Errorf("Retry-After %q: %s %v, want %s", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon", "1.5"} {
		if _, ok := parseRetryAfter(v, now); ok {
			t.Errorf("Retry-After %q accepted", v)
		}
	}
}

func TestPrivate(t *testing.T) {
	for s, want := range map[string]bool{
		"127.0.0.1": true, "10.0.0.1": true, "172.16.5.4": true, "192.168.0.1": true, "169.254.169.254": true,
		"100.64.0.1": true, "0.0.0.0": true, "::1": true, "fe80::1": true, "fd00::1": true, "::ffff:10.0.0.1": true,
		"224.0.0.1": true, "8.8.8.8": false, "2606:4700::1111": false, "172.32.0.1": false,
	} {
		if got := Private(netip.MustParseAddr(s)); got != want {
			t.Errorf("Private(%s) = %v", s, got)
		}
	}
}

// A receiver's Retry-After is untrusted: whatever it says, the delay stays within 0 and a day.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "Thu, 03 Dec 2026 12:01:00 GMT", "-5", "", "1e9", "Sunday, 06-Nov-94 08:49:37 GMT"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d, ok := parseRetryAfter(v, now); ok && (d < 0 || d > maxRetryAfter) {
			t.Fatalf("Retry-After %q gives %s", v, d)
		}
	})
}
