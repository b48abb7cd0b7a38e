package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// teamLang is the gallery's language: ?lang= (kept in a cookie), else the cookie, else the browser's
// Accept-Language (Italian when it comes before English), else English.
func teamLang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); teamStrings[l] != nil {
		http.SetCookie(w, &http.Cookie{Name: "quinte-lang", Value: l, Path: "/team", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie("quinte-lang"); err == nil && teamStrings[c.Value] != nil {
		return c.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if teamStrings[base] != nil {
			return base
		}
	}
	return "en"
}

// withQuery is path with the current query, key set to value (empty: removed), and before dropped (a
// new filter starts at the newest).
func withQuery(path, raw, key, value string) string {
	q, _ := url.ParseQuery(raw)
	q.Del("before")
	q.Del("notice")
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

func humanSeconds(v any) string {
	var s float64
	switch n := v.(type) {
	case float64:
		s = n
	case int:
		s = float64(n)
	}
	if s <= 0 {
		return ""
	}
	n := int(s + 0.5)
	return fmt.Sprintf("%d:%02d", n/60, n%60)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// teamStrings are the gallery's words, English and Italian (the artist's page speaks both too).
var teamStrings = map[string]map[string]string{
	"en": {
		"app": "quinte", "gallery": "Gallery", "messages": "Messages", "invites": "Invites", "signout": "Sign out",
		"signin_title": "Sign in to the team's gallery", "signin_token": "Team token", "signin_or": "or, as a team member",
		"name": "Name", "password": "Password", "signin": "Sign in", "signin_failed": "That did not work: check the token, or the name and password.",
		"storage_down": "Storage is not answering; try again shortly.", "signin_hint": "The token is printed when quinte starts; members get a password from `quinte team add`.",
		"review": "Review", "status": "Status", "kind": "Kind", "campaign": "Campaign", "search": "Search artist or title", "filter": "Filter", "all": "All",
		"pending": "Pending", "approved": "Approved", "rejected": "Rejected",
		"queued": "Queued", "processing": "Processing", "ready": "Ready", "failed": "Failed", "revoked": "Revoked",
		"video": "Video", "image": "Photo", "audio": "Audio",
		"none": "No messages match.", "none_hint": "Invite an artist, or clear the filters.", "older": "Older →", "newest": "← Newest", "clear": "Clear filters",
		"untitled": "Untitled", "unknown_artist": "Unknown artist", "no_poster": "No poster yet",
		"back": "← All messages", "outputs": "Outputs", "players": "Watch", "photos": "Pictures", "captions": "Captions", "files": "Other files",
		"download": "Download", "copy": "Copy link", "copied": "Copied", "kit": "Download social kit", "kit_hint": "One zip: every crop, the posters, the captions and credits.txt.",
		"consent": "Consent", "no_consent": "No consent record.", "why": "Why it looks this way",
		"approve": "Approve", "reject": "Reject", "reject_reason": "Reason (shown to the team)", "to_pending": "Back to pending", "by": "by",
		"revoke": "Revoke and delete files", "revoke_confirm": "Delete every file of this message? The artist's link stops working. This cannot be undone.",
		"revoke_title": "Revoke this message?", "revoke_yes": "Yes, delete every file", "cancel": "Cancel",
		"revoked_notice": "Revoked: the files are deleted.", "hls": "Adaptive stream (HLS)", "created": "Received", "duration": "Length",
		"error": "Error", "api_error": "The API refused this", "notfound": "Nothing here", "notfound_text": "No message or page at this address.",
		"invite_new": "New invite", "label": "Who it is for", "uploads": "Uploads", "expires": "Expires in", "prompts": "Prompts (one a line)",
		"max_length": "Longest recording (seconds)", "create": "Create invite", "invite_link": "Send this link (shown only now)",
		"remaining": "left", "came": "Messages", "withdraw": "Withdraw", "expires_at": "Expires", "withdrawn": "Invite withdrawn.",
		"active": "Active", "expired": "Expired", "disabled": "Withdrawn", "used_up": "Used up", "no_invites": "No invites yet.",
		"24h": "1 day", "72h": "3 days", "168h": "1 week", "720h": "30 days", "bad_number": "Uploads and the longest recording are whole numbers.",
		"share_link": "Link to this page", "language": "Italiano", "other_lang": "it", "review_state": "Review",
	},
	"it": {
		"app": "quinte", "gallery": "Galleria", "messages": "Messaggi", "invites": "Inviti", "signout": "Esci",
		"signin_title": "Accedi alla galleria del team", "signin_token": "Token del team", "signin_or": "oppure, come membro del team",
		"name": "Nome", "password": "Password", "signin": "Accedi", "signin_failed": "Non è andata: controlla il token, oppure nome e password.",
		"storage_down": "Lo storage non risponde; riprova tra poco.", "signin_hint": "Il token compare all'avvio di quinte; i membri ricevono una password da `quinte team add`.",
		"review": "Revisione", "status": "Stato", "kind": "Tipo", "campaign": "Campagna", "search": "Cerca artista o titolo", "filter": "Filtra", "all": "Tutti",
		"pending": "Da rivedere", "approved": "Approvato", "rejected": "Rifiutato",
		"queued": "In coda", "processing": "In lavorazione", "ready": "Pronto", "failed": "Fallito", "revoked": "Revocato",
		"video": "Video", "image": "Foto", "audio": "Audio",
		"none": "Nessun messaggio corrisponde.", "none_hint": "Invita un artista, o togli i filtri.", "older": "Meno recenti →", "newest": "← Più recenti", "clear": "Togli i filtri",
		"untitled": "Senza titolo", "unknown_artist": "Artista sconosciuto", "no_poster": "Ancora nessuna copertina",
		"back": "← Tutti i messaggi", "outputs": "File", "players": "Guarda", "photos": "Immagini", "captions": "Sottotitoli", "files": "Altri file",
		"download": "Scarica", "copy": "Copia link", "copied": "Copiato", "kit": "Scarica il kit social", "kit_hint": "Un solo zip: ogni ritaglio, le copertine, i sottotitoli e credits.txt.",
		"consent": "Consenso", "no_consent": "Nessun consenso registrato.", "why": "Perché è così",
		"approve": "Approva", "reject": "Rifiuta", "reject_reason": "Motivo (per il team)", "to_pending": "Torna da rivedere", "by": "da",
		"revoke": "Revoca ed elimina i file", "revoke_confirm": "Eliminare ogni file di questo messaggio? Il link dell'artista smette di funzionare. Non si può annullare.",
		"revoke_title": "Revocare questo messaggio?", "revoke_yes": "Sì, elimina ogni file", "cancel": "Annulla",
		"revoked_notice": "Revocato: i file sono eliminati.", "hls": "Streaming adattivo (HLS)", "created": "Ricevuto", "duration": "Durata",
		"error": "Errore", "api_error": "L'API ha rifiutato", "notfound": "Qui non c'è niente", "notfound_text": "Nessun messaggio o pagina a questo indirizzo.",
		"invite_new": "Nuovo invito", "label": "Per chi è", "uploads": "Caricamenti", "expires": "Scade tra", "prompts": "Domande (una per riga)",
		"max_length": "Registrazione più lunga (secondi)", "create": "Crea invito", "invite_link": "Invia questo link (compare solo ora)",
		"remaining": "rimasti", "came": "Messaggi", "withdraw": "Ritira", "expires_at": "Scade", "withdrawn": "Invito ritirato.",
		"active": "Attivo", "expired": "Scaduto", "disabled": "Ritirato", "used_up": "Esaurito", "no_invites": "Ancora nessun invito.",
		"24h": "1 giorno", "72h": "3 giorni", "168h": "1 settimana", "720h": "30 giorni", "bad_number": "Caricamenti e durata sono numeri interi.",
		"share_link": "Link a questa pagina", "language": "English", "other_lang": "en", "review_state": "Revisione",
	},
}
