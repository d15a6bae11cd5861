// Package connectors lists the notification connectors a server offers.
// It is the one place a new connector kind is registered; it holds no
// state and sends nothing itself.
package connectors

import (
	"github.com/yagura-soc/yagura/internal/notify"
	"github.com/yagura-soc/yagura/internal/notify/email"
	"github.com/yagura-soc/yagura/internal/notify/jira"
	"github.com/yagura-soc/yagura/internal/notify/slack"
	"github.com/yagura-soc/yagura/internal/notify/ticket"
	"github.com/yagura-soc/yagura/internal/notify/webhook"
)

// Kinds maps channel kinds to their connectors.
func Kinds() map[string]notify.Kind {
	return map[string]notify.Kind{
		"webhook": webhook.Kind(),
		"slack":   slack.Kind(),
		"email":   email.Kind(),
		"jira":    jira.Kind(),
		"ticket":  ticket.Kind(),
	}
}
