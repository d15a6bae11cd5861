//go:build !windows

package eventlog

func openAPI() (api, error) { return nil, ErrUnavailable }
