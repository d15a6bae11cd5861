package main

import (
	"log/slog"
	"time"

	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/demo"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/detect/builtin"
	"github.com/yagura-soc/yagura/internal/detect/live"
	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/match"
	"github.com/yagura-soc/yagura/internal/normalize"
	"github.com/yagura-soc/yagura/internal/server"
)

// engines builds the normalizer and the detector chain the server runs:
// the built-in Sigma pack plus the configured rule folders, compiled into
// one engine that SIGHUP and POST /api/v1/rules/reload replace at runtime.
func engines(cfg config.Config, log *slog.Logger) (server.Deps, error) {
	opts, err := sigma.OptionsFromFiles(cfg.Detect.Placeholders, cfg.Detect.Logsources)
	if err != nil {
		return server.Deps{}, err
	}
	if cfg.Demo.Enabled {
		// The demo company's command-and-control addresses stand in for a
		// threat feed, so the C2 rule fires on the demo's beacons.
		if opts.Placeholders == nil {
			opts.Placeholders = map[string][]string{}
		}
		opts.Placeholders[builtin.PlaceholderC2] = demo.New(cfg.Demo.Seed, time.Time{}).C2Addresses()
	}
	rules, _, err := live.New(live.Config{Builtin: cfg.Detect.Builtin, RuleDirs: cfg.Detect.RuleDirs, Options: opts, Log: log})
	if err != nil {
		return server.Deps{}, err
	}
	log.Info("detection rules compiled", "rules", rules.Engine().Rules())
	// The threat-intel matcher runs after the rules; the server loads the
	// IOC store into it and keeps it current.
	intelMatcher := match.New(intel.DefaultWarningLists())
	return server.Deps{Normalize: normalize.Event, Detector: detect.Chain{rules, intelMatcher}, Intel: intelMatcher, Rules: rules}, nil
}
