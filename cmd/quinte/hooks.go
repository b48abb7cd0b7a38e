package main

import (
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/webhook"
)

// startWebhooks makes the Hooks every role emits events with and, in the roles that run jobs, starts
// the deliverer: an asynq server of its own on the webhooks queue, so deliveries have their own slots
// and never wait behind a video encode.
func (m *Main) startWebhooks(opt asynq.RedisConnOpt) error {
	cfg := m.Config.Webhooks
	client := asynq.NewClient(opt)
	m.closers = append(m.closers, client.Close)
	m.Hooks = webhook.New(cfg, client, m.Store)
	if m.Role == config.RoleAPI {
		return nil
	}
	d := webhook.NewDeliverer(cfg, m.Store, m.Log)
	d.OnDelivery = m.WebhookDelivery
	if d.OnDelivery == nil && m.Metrics != nil {
		d.OnDelivery = m.Metrics.WebhookDelivery
	}
	srv, err := webhook.Start(opt, d)
	if err != nil {
		return fmt.Errorf("webhook deliveries: %w", err)
	}
	m.closers = append(m.closers, func() error { srv.Shutdown(); return nil })
	return nil
}
