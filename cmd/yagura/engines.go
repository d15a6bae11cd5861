package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/demo"
	"github.com/yagura-soc/yagura/internal/detect"
	"github.com/yagura-soc/yagura/internal/detect/builtin"
	"github.com/yagura-soc/yagura/internal/detect/sigma"
	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/match"
	"github.com/yagura-soc/yagura/internal/normalize"
	"github.com/yagura-soc/yagura/internal/server"
)

// engines builds the normalizer and the detector chain the server runs:
// the built-in Sigma pack plus the configured rule folders, compiled into
// one engine.
func engines(cfg config.Config, log *slog.Logger) (server.Deps, error) {
	set := &sigma.RuleSet{}
	if cfg.Detect.Builtin {
		pack, err := builtin.Load()
		if err != nil {
			return server.Deps{}, err
		}
		set.Add(pack.Rules...)
		set.Add(pack.Correlations...)
		set.Add(pack.Filters...)
	}
	if len(cfg.Detect.RuleDirs) > 0 {
		extra, rejected, err := sigma.LoadPaths(cfg.Detect.RuleDirs...)
		if err != nil {
			return server.Deps{}, fmt.Errorf("rules: %w", err)
		}
		for _, r := range rejected {
			log.Warn("rule rejected", "rule", r.String())
		}
		set.Add(extra.Rules...)
		set.Add(extra.Correlations...)
		set.Add(extra.Filters...)
	}
	opts := sigma.Options{}
	if cfg.Demo.Enabled {
		// The demo company's command-and-control addresses stand in for a
		// threat feed, so the C2 rule fires on the demo's beacons.
		opts.Placeholders = map[string][]string{builtin.PlaceholderC2: demo.New(cfg.Demo.Seed, time.Time{}).C2Addresses()}
	}
	engine, err := sigma.NewEngine(set, opts)
	if err != nil {
		return server.Deps{}, fmt.Errorf("rules: %w", err)
	}
	log.Info("detection rules compiled", "rules", engine.Rules())
	// The threat-intel matcher runs after the rules; the server loads the
	// IOC store into it and keeps it current.
	intelMatcher := match.New(intel.DefaultWarningLists())
	return server.Deps{Normalize: normalize.Event, Detector: detect.Chain{engine, intelMatcher}, Intel: intelMatcher}, nil
}
