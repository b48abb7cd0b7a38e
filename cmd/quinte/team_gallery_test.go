package main

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/browsertest"
	"github.com/quinte-media/quinte/internal/testenv"
)

// The team's gallery (issue 11) in Chromium, against quinte run on each backend. Screenshots go to
// testdata-out/pages/team-*.png at 390×844 and 1280×800; any console error fails the test.

const xssArtist = `<img src=x onerror=alert(1)>`

// TestTeamGallery: sign in with the team token; find the uploaded video by its poster; filter by kind
// and search; open it; play the 9:16 crop and the HLS master; download the crop with its button
// (ffprobe checks it) and the social kit (its entries and credits.txt); approve it and find it under
// the approved filter; a POST to approve from another origin is refused; the artist named like an
// <img> tag is text; create an invite with its link and QR code; revoke (asked once more) and see
// every object of the message gone and its links refused; signed out, the browser sees only the
// sign-in page.
func TestTeamGallery(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env map[string]string) {
		m := startMain(t, config.RoleRun, env)
		if m.S3Server == nil {
			// Outside Safari, hls.js fetches the segments a playlist links, presigned on the bucket's
			// origin: the bucket needs a CORS rule for the gallery's origin, as the README says.
			_, err := m.Store.Client().PutBucketCors(context.Background(), &s3.PutBucketCorsInput{
				Bucket: aws.String(m.Store.Bucket()),
				CORSConfiguration: &s3types.CORSConfiguration{CORSRules: []s3types.CORSRule{{
					AllowedOrigins: []string{m.URL}, AllowedMethods: []string{"GET", "HEAD"}, AllowedHeaders: []string{"*"}}}},
			})
			testenv.Must(t, err)
		}
		c := &testenv.Client{Base: m.URL, Token: token}
		dir := t.TempDir()
		videoID := c.Upload(t, testenv.Clip(t, dir, 3, 320, 240, 25), map[string]string{"artist": xssArtist, "title": "Thank you, crew"})
		photoID := c.Upload(t, testenv.Corpus(t, "image/exif-orientation/Landscape_6.jpg"), map[string]string{"artist": "Ada Lovelace", "title": "Backstage"})
		video := c.WaitReady(t, videoID, 3*time.Minute)
		c.WaitReady(t, photoID, time.Minute)
		// The list follows the records through the change feed, within 2 s of a change on every API
		// process (the worker wrote "ready"): the grid shows the posters once the list has them.
		waitListed(t, c, videoID, photoID)
		shots := t.Name() == "TestTeamGallery/embedded" // one set of screenshots

		br := browsertest.Start(t, fakeCamera(t), "en-GB")
		p := br.NewPage(t)
		var weights []string
		weigh := func(name string) {
			weights = append(weights, name+": "+browsertest.Eval[string](p, pageWeightJS))
		}
		downloads := filepath.Join(dir, "downloads")
		testenv.Must(t, os.MkdirAll(downloads, 0o755))
		_, err := chromedp.CallBrowser(p.Ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		testenv.Must(t, err)

		// Signed out: the sign-in page, and nothing of the messages.
		p.ExpectedStatus[401] = true
		for _, path := range []string{"/team", "/team/m/" + videoID, "/team/invites"} {
			p.Run(chromedp.Navigate(m.URL + path))
			p.WaitFor("the sign-in page", `!!document.querySelector('[data-testid=signin-token]')`, 10*time.Second)
			if body := p.Text("body"); strings.Contains(body, "Ada Lovelace") || strings.Contains(body, "Thank you") {
				t.Errorf("signed out, %s shows a message:\n%s", path, body)
			}
		}
		p.Run(chromedp.Navigate(m.URL + "/team"))
		if shots {
			p.Shot("team-signin")
			weigh("team-signin")
		}
		p.Type("signin-token", token)
		p.Click("signin-submit")
		p.WaitFor("the grid", `!!document.querySelector('[data-testid=grid]')`, 10*time.Second)

		// The video's card, found by its poster (loaded), its artist shown as text.
		card := fmt.Sprintf(`[data-testid=card][data-id=%q]`, videoID)
		p.WaitFor("the video's poster", `(function(){var i=document.querySelector('`+card+` img'); return !!i && i.complete && i.naturalWidth > 0})()`, 20*time.Second)
		if got := p.Text(card + " .artist"); got != xssArtist {
			t.Errorf("the card's artist is %q, want the text %q", got, xssArtist)
		}
		if got := p.Text(card + " .dur"); got != "0:03" {
			t.Errorf("the card's duration is %q, want 0:03", got)
		}
		if n := browsertest.Eval[int](p, `document.querySelectorAll('img[src="x"]').length`); n != 0 {
			t.Errorf("the artist's name became %d <img> elements", n)
		}
		if shots {
			p.Shot("team-grid")
			weigh("team-grid")
		}

		// Filters: kind (applied on change), then search; the filters stay in the URL.
		browsertest.Eval[bool](p, `(function(){var s=document.querySelector('[data-testid=filter-kind]'); s.value='image'; s.dispatchEvent(new Event('change')); return true})()`)
		p.WaitFor("the photo alone", fmt.Sprintf(`location.search.includes('kind=image') && document.querySelectorAll('[data-testid=card]').length === 1 && !!document.querySelector('[data-testid=card][data-id=%q]')`, photoID), 10*time.Second)
		p.Run(chromedp.Navigate(m.URL + "/team"))
		p.Type("search", "crew\n")
		p.WaitFor("the video alone", fmt.Sprintf(`location.search.includes('q=crew') && document.querySelectorAll('[data-testid=card]').length === 1 && !!document.querySelector(%q)`, card), 10*time.Second)

		// The message's page.
		p.Run(chromedp.Click(chromedp.CSS(card), chromedp.NodeVisible))
		p.WaitFor("the message page", `location.pathname === '/team/m/`+videoID+`' && !!document.querySelector('[data-testid=player]')`, 10*time.Second)
		for _, o := range video.Outputs {
			if o.Role == "hls" {
				continue
			}
			if n := browsertest.Eval[int](p, fmt.Sprintf(`document.querySelectorAll('[data-testid=download][data-name=%q]').length`, o.Name)); n != 1 {
				t.Errorf("output %s has %d download buttons, want 1", o.Name, n)
			}
		}
		if n := browsertest.Eval[int](p, `document.querySelectorAll('tr:has([data-name="crop/9x16"]) [data-testid=why] li').length`); n == 0 {
			t.Error("the 9:16 crop says nothing of why it looks as it does")
		}
		play := func(sel string) {
			t.Helper()
			browsertest.Eval[bool](p, `(function(){var v=document.querySelector('`+sel+`'); v.muted=true; v.play().catch(function(){}); return true})()`)
			p.WaitFor(sel+" playing", `(function(){var v=document.querySelector('`+sel+`'); return v.readyState >= 2 && !v.error})()`, 30*time.Second)
		}
		play(`video[data-testid=player][data-name="crop/9x16"]`)
		play(`video[data-testid=player][data-hls]`)
		if got := browsertest.Eval[bool](p, `!!(document.querySelector('video[data-hls]').hls)`); !got {
			t.Error("the HLS player is not hls.js in Chromium")
		}
		if shots {
			browsertest.Eval[bool](p, `(function(){document.querySelectorAll('video').forEach(function(v){v.pause()}); return true})()`)
			p.Shot("team-message")
			weigh("team-message")
		}

		// Download the crop with its button; ffprobe checks it is the 9:16 crop.
		p.Run(chromedp.Click(chromedp.CSS(`[data-testid=download][data-name="crop/9x16"]`), chromedp.NodeVisible))
		crop := waitDownload(t, downloads, ".mp4")
		pr := testenv.Probe(t, crop)
		want := video.Output(t, "crop/9x16")
		if len(pr.Streams) == 0 || pr.Streams[0].Width != want.Width || pr.Streams[0].Height != want.Height || math.Abs(float64(want.Width)/float64(want.Height)-9.0/16) > 0.02 {
			t.Errorf("the downloaded crop %s is not 9:16: %+v", filepath.Base(crop), pr.Streams)
		}

		// The social kit.
		p.Click("kit")
		kit := waitDownload(t, downloads, ".zip")
		checkKit(t, kit, "Thank you, crew")

		// Approve; the state shows, and the message is under the approved filter.
		p.Click("approve")
		p.WaitFor("approved", `(document.querySelector('[data-testid=review-state]')||{}).dataset.state === 'approved'`, 10*time.Second)
		if got := p.Text(".state"); !strings.Contains(got, "team") {
			t.Errorf("the review does not say who approved: %q", got)
		}
		p.Run(chromedp.Navigate(m.URL + "/team?review=approved"))
		p.WaitFor("the approved message", fmt.Sprintf(`!!document.querySelector(%q)`, card), 10*time.Second)

		// From another origin (another port of the same host: the same site, so the cookie goes), a
		// form that would reject the message is refused.
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/v1/messages/%s/review"><input name="state" value="rejected"><input name="reason" value="evil"><button id="go">go</button></form>`, m.URL, videoID)
		}))
		defer evil.Close()
		p.ExpectedStatus[403] = true
		p.ExpectedStatus[404] = true // the refusal is JSON: the browser then asks for /favicon.ico
		p.Run(chromedp.Navigate(evil.URL))
		p.Run(chromedp.Click(chromedp.CSS("#go"), chromedp.NodeVisible))
		p.WaitFor("the refusal", `document.body.textContent.includes('cross_origin')`, 10*time.Second)
		if got := c.Get(t, videoID); reviewState(t, c, videoID) != "approved" {
			t.Errorf("after a cross-origin POST the message is %s / %s, want still approved", got.Status, reviewState(t, c, videoID))
		}

		// An invite with its link and QR code.
		p.Run(chromedp.Navigate(m.URL + "/team/invites"))
		if shots {
			p.Shot("team-invites")
			weigh("team-invites")
		}
		p.Run(chromedp.SendKeys(chromedp.CSS(`input[name=label]`), "Ada, Milan show"),
			chromedp.SendKeys(chromedp.CSS(`textarea[name=prompts]`), "What did tonight mean to you?\nA word for the crew"))
		p.Click("invite-new")
		p.WaitFor("the invite link", `!!document.querySelector('[data-testid=invite-link]') && !!document.querySelector('[data-testid=invite-qr] path')`, 10*time.Second)
		link := browsertest.Eval[string](p, `document.querySelector('[data-testid=invite-link]').value`)
		if !strings.HasPrefix(link, m.URL+"/a/qi_") {
			t.Errorf("invite link %q is not the artist page under %s", link, m.URL)
		}
		if shots {
			p.Shot("team-invite-created")
			weigh("team-invite-created")
		}

		// An artist answers it on the artist page: a photo picked from the phone, the release agreed.
		ap := openArtistPage(t, br, m.URL, strings.TrimPrefix(link, m.URL+"/a/"))
		ap.SetFile(`[data-testid="file"]`, testenv.Corpus(t, "image/progressive_faces_840x700.jpg"))
		fillDetails(ap, "Grace Hopper", "From the artist page")
		ap.Click("submit")
		ap.WaitFor("made", `['ready', 'failed'].indexOf(((document.querySelector('[data-testid=status]')||{}).dataset||{}).state) >= 0`, 2*time.Minute)
		artistID := browsertest.Eval[string](ap, `document.querySelector('.message').dataset.id`)
		if st := c.Get(t, artistID).Status; st != "ready" {
			t.Fatalf("the photo sent from the artist page is %s, want ready", st)
		}
		waitListed(t, c, artistID)

		// The invite's row: one upload used, the message that came linked from it.
		p.Run(chromedp.Navigate(m.URL + "/team/invites"))
		row := fmt.Sprintf(`document.querySelector('td.msgs a[href="/team/m/%s"]').closest('tr')`, artistID)
		p.WaitFor("the invite's message", fmt.Sprintf(`!!document.querySelector('td.msgs a[href="/team/m/%s"]')`, artistID), 10*time.Second)
		used := browsertest.Eval[string](p, row+`.children[2].textContent`)
		var left, most int
		if _, err := fmt.Sscanf(strings.TrimSpace(used), "%d/%d", &left, &most); err != nil || left != most-1 {
			t.Errorf("after one upload the invite's row says %q, want one fewer left than its maximum", used)
		}

		// The message's page: the photo shown, and the consent it came with.
		p.Run(chromedp.Navigate(m.URL + "/team/m/" + artistID))
		p.WaitFor("the photo", `(function(){var i=document.querySelector('.pics img'); return !!i && i.complete && i.naturalWidth > 0})()`, 20*time.Second)
		if got := p.Text("body"); !strings.Contains(got, "2026-12") || !strings.Contains(got, "Grace Hopper") {
			t.Errorf("the message page of an artist-page upload does not show its consent (release 2026-12):\n%s", got)
		}
		if shots {
			p.Shot("team-message-consent")
		}

		// Withdrawn from the gallery, the invite's link closes.
		p.Run(chromedp.Navigate(m.URL + "/team/invites"))
		p.WaitFor("the invite's row", fmt.Sprintf(`!!document.querySelector('td.msgs a[href="/team/m/%s"]')`, artistID), 10*time.Second)
		inviteRow := fmt.Sprintf(`tr[data-id=%q]`, browsertest.Eval[string](p, row+`.dataset.id`))
		browsertest.Eval[bool](p, `(function(){`+row+`.querySelector('form[action$="/withdraw"] button').click(); return true})()`)
		p.WaitFor("withdrawn", `location.search.includes('notice=withdrawn')`, 10*time.Second)
		if got := p.Text(inviteRow + " .tag"); got != "Withdrawn" {
			t.Errorf("the withdrawn invite's row says %q, want Withdrawn", got)
		}
		resp, err := http.Get(link)
		testenv.Must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusGone {
			t.Errorf("the withdrawn invite's page answers %d, want 410", resp.StatusCode)
		}

		// In Italian.
		p.Run(chromedp.Navigate(m.URL + "/team?lang=it"))
		p.WaitFor("Italian", `document.documentElement.lang === 'it' && document.body.textContent.includes('Revisione')`, 10*time.Second)
		if shots {
			p.Shot("team-grid-it")
			weigh("team-grid-it")
		}
		p.Run(chromedp.Navigate(m.URL + "/team?lang=en"))

		// Revoke, asked once more; every object of the message goes, and its links are refused.
		links := []string{video.Output(t, "crop/9x16").URL, video.Output(t, "hls/master").URL}
		p.Run(chromedp.Navigate(m.URL + "/team/m/" + videoID))
		browsertest.Eval[bool](p, `(function(){window.confirm=function(){sessionStorage.asked=(+sessionStorage.asked||0)+1; return true}; return true})()`)
		p.Click("revoke")
		p.WaitFor("revoked", `location.search.includes('notice=revoked')`, 30*time.Second)
		if n := browsertest.Eval[string](p, `sessionStorage.asked || '0'`); n != "1" {
			t.Errorf("revoke asked %s times, want once (confirm)", n)
		}
		keys, err := m.Store.List(context.Background(), "")
		testenv.Must(t, err)
		for _, k := range keys {
			if strings.Contains(k, videoID) && !strings.HasSuffix(k, "/status.json") && !strings.HasPrefix(k, "changes/") {
				t.Errorf("revoked, %s is still in the bucket", k)
			}
		}
		for _, l := range links {
			if l == "" {
				continue
			}
			resp, err := http.Get(l)
			testenv.Must(t, err)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
				t.Errorf("revoked, %s answers %d, want 403 or 404", l, resp.StatusCode)
			}
		}

		// Without JavaScript's confirm() (the attribute removed), revoke asks on a page of its own.
		p.Run(chromedp.Navigate(m.URL + "/team/m/" + photoID))
		browsertest.Eval[bool](p, `(function(){document.querySelector('form[data-confirm]').removeAttribute('data-confirm'); return true})()`)
		p.Click("revoke")
		p.WaitFor("the second question", `location.pathname.endsWith('/revoke') && !!document.querySelector('[data-testid=revoke]')`, 10*time.Second)
		if shots {
			p.Shot("team-revoke")
			weigh("team-revoke")
		}
		if st := c.Get(t, photoID).Status; st == "revoked" {
			t.Error("the first click revoked the photo")
		}
		p.Click("revoke")
		p.WaitFor("revoked", `location.search.includes('notice=revoked')`, 30*time.Second)
		if st := c.Get(t, photoID).Status; st != "revoked" {
			t.Errorf("after the second click the photo is %s, want revoked", st)
		}
		if shots {
			p.Shot("team-message-revoked")
			p.ExpectedStatus[404] = true
			p.Run(chromedp.Navigate(m.URL + "/team/m/01m8nothere0000000000000000"))
			p.Shot("team-notfound")
		}

		// Signed out.
		if shots {
			testenv.Must(t, os.WriteFile(filepath.Join(testenv.RepoRoot(t), "testdata-out", "pages", "team-weights.txt"), []byte(strings.Join(weights, "\n")+"\n"), 0o644))
			t.Logf("page weights:\n%s", strings.Join(weights, "\n"))
		}
		p.Click("signout")
		p.WaitFor("the sign-in page", `!!document.querySelector('[data-testid=signin-token]')`, 10*time.Second)
		p.Run(chromedp.Navigate(m.URL + "/team/m/" + photoID))
		p.WaitFor("the sign-in page", `!!document.querySelector('[data-testid=signin-token]')`, 10*time.Second)
		if body := p.Text("body"); strings.Contains(body, "Ada Lovelace") {
			t.Errorf("signed out, the photo's page shows it:\n%s", body)
		}
	})
}

// pageWeightJS sums what the page cost: the HTML and its scripts and styles as sent (gzip for the
// assets), and the media it loaded (posters, players' metadata) apart.
const pageWeightJS = `(function(){
	var nav = performance.getEntriesByType('navigation')[0], code = nav.encodedBodySize, html = nav.encodedBodySize, media = 0;
	performance.getEntriesByType('resource').forEach(function(e){
		if (e.initiatorType === 'script' || e.initiatorType === 'link' || e.initiatorType === 'css') code += e.encodedBodySize;
		else media += e.transferSize || e.encodedBodySize;
	});
	return 'html ' + html + ' B, html+css+js ' + code + ' B, media loaded ' + media + ' B';
})()`

// waitDownload waits for a finished download ending in ext in dir and returns its path (removing it
// from the next wait's view by renaming it).
func waitDownload(t *testing.T, dir, ext string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ext) {
				p := filepath.Join(dir, "done-"+e.Name())
				testenv.Must(t, os.Rename(filepath.Join(dir, e.Name()), p))
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s download in %s after a minute: %v", ext, dir, entries)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkKit opens the social kit: a 9:16 crop, a poster, credits.txt naming the title; every name
// readable and safe.
func checkKit(t *testing.T, path, title string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("the kit %s is not a zip: %v", filepath.Base(path), err)
	}
	defer zr.Close()
	var names []string
	var credits string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if strings.ContainsAny(f.Name, `/\<>`) || strings.Contains(f.Name, "..") {
			t.Errorf("kit entry %q is not a plain safe name", f.Name)
		}
		if f.Name == "credits.txt" {
			rc, err := f.Open()
			testenv.Must(t, err)
			b := make([]byte, 64<<10)
			n, _ := rc.Read(b)
			rc.Close()
			credits = string(b[:n])
		}
	}
	if !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, "9x16") && strings.HasSuffix(n, ".mp4") }) {
		t.Errorf("the kit has no 9:16 crop: %v", names)
	}
	if !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, "poster") }) {
		t.Errorf("the kit has no poster: %v", names)
	}
	if !strings.Contains(credits, title) || !strings.Contains(credits, xssArtist) {
		t.Errorf("credits.txt does not name the artist and title:\n%s", credits)
	}
}

// reviewState is the message's review state as the API answers it.
func reviewState(t *testing.T, c *testenv.Client, id string) string {
	t.Helper()
	_, body, _ := c.Do(t, "GET", "/v1/messages/"+id, nil, nil)
	var v struct {
		Review json.RawMessage `json:"review"`
	}
	_ = json.Unmarshal(body, &v)
	var s string
	if json.Unmarshal(v.Review, &s) == nil {
		return s
	}
	var o struct{ State string }
	_ = json.Unmarshal(v.Review, &o)
	if o.State == "" {
		return "pending"
	}
	return o.State
}

// waitListed waits until GET /v1/messages lists each of ids with its poster.
func waitListed(t *testing.T, c *testenv.Client, ids ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body, _ := c.Do(t, "GET", "/v1/messages", nil, nil)
		var list struct {
			Messages []struct {
				ID        string `json:"id"`
				PosterURL string `json:"poster_url"`
			} `json:"messages"`
		}
		_ = json.Unmarshal(body, &list)
		listed := 0
		for _, m := range list.Messages {
			if slices.Contains(ids, m.ID) && m.PosterURL != "" {
				listed++
			}
		}
		if listed == len(ids) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the list does not show %v with their posters after 30 s: %.500s", ids, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
