package httpapi

import (
	"context"
	"net/http"
	"time"
)

// Pinger is a dependency the readiness check asks.
type Pinger interface {
	Ping(ctx context.Context) error
}

// HealthRoutes are GET /healthz (the process answers) and GET /readyz (200 only when both the queue
// and storage answer), public.
func HealthRoutes(queue, storage Pinger) []Route {
	return []Route{
		{Pattern: "GET /healthz", Handler: http.HandlerFunc(healthz), Access: AccessPublic},
		{Pattern: "GET /readyz", Handler: readyz(queue, storage), Access: AccessPublic},
	}
}

func healthz(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when both Redis and S3 answer.
func readyz(queue, storage Pinger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		checks := map[string]string{"queue": "ok", "storage": "ok"}
		status := http.StatusOK
		if err := queue.Ping(ctx); err != nil {
			checks["queue"], status = "unreachable: "+err.Error(), http.StatusServiceUnavailable
		}
		if err := storage.Ping(ctx); err != nil {
			checks["storage"], status = "unreachable: "+err.Error(), http.StatusServiceUnavailable
		}
		WriteJSON(w, status, checks)
	}
}
