package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/craft"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/webhook"
)

// A team tool registered for webhooks hears of a photo that becomes ready and of one that fails, over
// real HTTP, signed so that a verifier written from the Standard Webhooks text (not quinte's signer)
// accepts them; of an approval and a rejection the API emits (the review routes call Main.Hooks.Emit)
// and of a revocation, once; quinte_webhook_deliveries_total counts the five.
func TestWebhooksOnReadyAndFailed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env map[string]string) {
		type delivery struct {
			header http.Header
			body   []byte
		}
		got := make(chan delivery, 8)
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got <- delivery{r.Header.Clone(), b}
			w.WriteHeader(http.StatusOK)
		}))
		defer rc.Close()
		secret := webhook.NewSecret()
		hooks, _ := json.Marshal([]webhook.Endpoint{{URL: rc.URL + "/quinte", Secret: secret}})
		env["QUINTE_WEBHOOKS"] = string(hooks)
		env["QUINTE_WEBHOOKS_ALLOW_PRIVATE"] = "true" // the receiver is on loopback
		env["QUINTE_METRICS_ADDR"] = "127.0.0.1:0"
		m := startMain(t, config.RoleRun, env)
		c := &testenv.Client{Base: m.URL, Token: token}

		receive := func(want, id, status string) []byte {
			t.Helper()
			select {
			case d := <-got:
				if err := testenv.VerifyWebhook(secret, d.header, d.body, time.Now()); err != nil {
					t.Errorf("%s: signature: %v", want, err)
				}
				var ev struct {
					Type string `json:"type"`
					Data struct {
						ID     string `json:"id"`
						Status string `json:"status"`
						Artist string `json:"artist"`
						Error  *struct{ Code string }
					} `json:"data"`
				}
				if err := json.Unmarshal(d.body, &ev); err != nil || ev.Type != want || ev.Data.ID != id || ev.Data.Status != status || (ev.Data.Artist != "Ada") != (status == "revoked") {
					t.Errorf("want %s of %s (%s), got %s (%v)", want, id, status, d.body, err)
				}
				if status == "failed" && (ev.Data.Error == nil || ev.Data.Error.Code == "") {
					t.Errorf("message.failed without the reason: %s", d.body)
				}
				return d.body
			case <-time.After(time.Minute):
				t.Fatalf("no %s webhook within a minute", want)
			}
			return nil
		}

		id := c.Upload(t, testenv.Corpus(t, "image/progressive_faces_840x700.jpg"), map[string]string{"artist": "Ada"})
		c.WaitReady(t, id, 2*time.Minute)
		receive("message.ready", id, "ready")

		bad := c.Upload(t, writeFile(t, t.TempDir(), "huge-frames.gif", craft.GIF(16, 16, craft.GIFFrame{W: 65535, H: 65535})), map[string]string{"artist": "Ada"})
		if msg := c.Wait(t, bad, 2*time.Minute); msg.Status != "failed" {
			t.Fatalf("crafted GIF: %s, want failed", msg.Status)
		}
		receive("message.failed", bad, "failed")

		// The review route records the decision and emits the approval, which carries it; a
		// revocation emits message.revoked once, however often it is asked.
		status, body, _ := c.Do(t, "POST", "/v1/messages/"+id+"/review", strings.NewReader(`{"state":"approved"}`), http.Header{"Content-Type": {"application/json"}})
		if status != http.StatusOK {
			t.Fatalf("review: %d %s", status, body)
		}
		if d := receive("message.approved", id, "ready"); !strings.Contains(string(d), `"review":{"state":"approved"`) {
			t.Errorf("message.approved does not carry the review: %s", d)
		}
		status, body, _ = c.Do(t, "POST", "/v1/messages/"+id+"/review", strings.NewReader(`{"state":"rejected","reason":"the sound cuts out"}`), http.Header{"Content-Type": {"application/json"}})
		if status != http.StatusOK {
			t.Fatalf("reject: %d %s", status, body)
		}
		if d := receive("message.rejected", id, "ready"); !strings.Contains(string(d), `"reason":"the sound cuts out"`) {
			t.Errorf("message.rejected does not carry the reason: %s", d)
		}
		for range 2 {
			if status, body, _ := c.Do(t, "POST", "/v1/messages/"+id+"/revoke", nil, nil); status != http.StatusOK {
				t.Fatalf("revoke: %d %s", status, body)
			}
		}
		receive("message.revoked", id, "revoked")
		select {
		case d := <-got:
			t.Errorf("one more webhook after the revocation: %s", d.body)
		case <-time.After(3 * time.Second):
		}
		// Each of the five was delivered at the first attempt, and the operator's figures count them.
		if n := value(scrape(t, m.MetricsURL), "quinte_webhook_deliveries_total", map[string]string{"outcome": webhook.OutcomeDelivered}); n != 5 {
			t.Errorf("quinte_webhook_deliveries_total{outcome=delivered} = %v, want 5", n)
		}
	})
}
