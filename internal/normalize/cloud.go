package normalize

import (
	"net/netip"
	"strings"

	"github.com/yagura-soc/yagura/internal/event"
)

// cloudTrailECS maps AWS CloudTrail events.
func cloudTrailECS(ev *event.Event) {
	f := ev.Fields
	ev.SetECS("event.module", "aws")
	ev.SetECS("event.dataset", event.DatasetCloudTrail)
	ev.SetECS("cloud.provider", "aws")
	name, source := str(f, "eventName"), str(f, "eventSource")
	setStr(ev, "event.action", name)
	setStr(ev, "event.provider", source)
	setStr(ev, "cloud.region", f["awsRegion"])
	setStr(ev, "cloud.account.id", firstOf(str(f, "recipientAccountId"), str(f, "userIdentity.accountId")))
	setStr(ev, "user_agent.original", f["userAgent"])
	if ip := str(f, "sourceIPAddress"); ip != "" {
		if _, err := netip.ParseAddr(ip); err == nil {
			setIP(ev, "source.ip", ip)
		} else {
			ev.SetECS("source.address", ip) // an AWS service acting ("s3.amazonaws.com")
		}
	}
	user := str(f, "userIdentity.userName")
	if user == "" {
		user = str(f, "userIdentity.sessionContext.sessionIssuer.userName")
	}
	if arn := str(f, "userIdentity.arn"); arn != "" {
		if user == "" {
			user = arn[strings.LastIndexByte(arn, '/')+1:]
		}
		ev.SetECS("user.id", arn)
	}
	setStr(ev, "user.name", user)
	if code := str(f, "errorCode"); code != "" {
		ev.SetECS("event.outcome", "failure")
		setStr(ev, "error.code", code)
		setStr(ev, "error.message", f["errorMessage"])
	} else if r := str(f, "responseElements.ConsoleLogin"); r == "Failure" {
		ev.SetECS("event.outcome", "failure")
	} else {
		ev.SetECS("event.outcome", "success")
	}
	category, typ := "configuration", "info"
	svc, _, _ := strings.Cut(source, ".")
	switch {
	case name == "ConsoleLogin" || svc == "signin" || (svc == "sts" && strings.HasPrefix(name, "Assume")) || name == "GetSessionToken":
		category, typ = "authentication", "start"
	case svc == "iam" || svc == "sts" || svc == "sso":
		category = "iam"
	case svc == "s3" && (strings.Contains(name, "Object") || strings.HasPrefix(name, "ListBucket")):
		category = "file"
	case svc == "ec2" || svc == "lambda" || svc == "ecs":
		category = "host"
	}
	if typ == "info" {
		switch {
		case strings.HasPrefix(name, "Create"), strings.HasPrefix(name, "Put"), strings.HasPrefix(name, "Run"), strings.HasPrefix(name, "Add"):
			typ = "creation"
		case strings.HasPrefix(name, "Delete"), strings.HasPrefix(name, "Remove"), strings.HasPrefix(name, "Terminate"):
			typ = "deletion"
		case strings.HasPrefix(name, "Update"), strings.HasPrefix(name, "Modify"), strings.HasPrefix(name, "Attach"), strings.HasPrefix(name, "Detach"), strings.HasPrefix(name, "Set"):
			typ = "change"
		case strings.HasPrefix(name, "Get"), strings.HasPrefix(name, "Describe"), strings.HasPrefix(name, "List"), strings.HasPrefix(name, "Head"):
			typ = "access"
		}
	}
	ev.SetECS("event.category", []any{category})
	ev.SetECS("event.type", []any{typ})
}
