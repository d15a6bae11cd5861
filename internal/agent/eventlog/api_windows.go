//go:build windows

package eventlog

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The Event Log API (wevtapi.dll); x/sys/windows does not wrap it.
var (
	wevtapi       = windows.NewLazySystemDLL("wevtapi.dll")
	procEvtQuery  = wevtapi.NewProc("EvtQuery")
	procEvtNext   = wevtapi.NewProc("EvtNext")
	procEvtRender = wevtapi.NewProc("EvtRender")
	procEvtClose  = wevtapi.NewProc("EvtClose")
)

const (
	evtQueryChannelPath      = 0x1
	evtQueryForwardDirection = 0x100
	evtQueryReverseDirection = 0x200
	evtRenderEventXML        = 1
	infinite                 = 0xFFFFFFFF
)

type winAPI struct{}

func openAPI() (api, error) {
	if err := wevtapi.Load(); err != nil {
		return nil, ErrUnavailable
	}
	return winAPI{}, nil
}

func (winAPI) Read(channel string, after uint64, max int) ([][]byte, error) {
	query := fmt.Sprintf("*[System[(EventRecordID > %d)]]", after)
	return readQuery(channel, query, evtQueryChannelPath|evtQueryForwardDirection, max)
}

func (winAPI) Newest(channel string) (uint64, error) {
	events, err := readQuery(channel, "*", evtQueryChannelPath|evtQueryReverseDirection, 1)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	f, err := Fields(events[0])
	if err != nil {
		return 0, err
	}
	return recordID(f), nil
}

// readQuery renders up to max events of a query over one channel.
func readQuery(channel, query string, flags uint32, max int) ([][]byte, error) {
	path, err := windows.UTF16PtrFromString(channel)
	if err != nil {
		return nil, err
	}
	q, err := windows.UTF16PtrFromString(query)
	if err != nil {
		return nil, err
	}
	h, _, callErr := procEvtQuery.Call(0, uintptr(unsafe.Pointer(path)), uintptr(unsafe.Pointer(q)), uintptr(flags))
	if h == 0 {
		return nil, fmt.Errorf("EvtQuery %s: %w", channel, callErr)
	}
	defer procEvtClose.Call(h)
	var out [][]byte
	handles := make([]uintptr, 64)
	var buf []uint16
	for len(out) < max {
		want := min(len(handles), max-len(out))
		var returned uint32
		ok, _, callErr := procEvtNext.Call(h, uintptr(want), uintptr(unsafe.Pointer(&handles[0])), infinite, 0,
			uintptr(unsafe.Pointer(&returned)))
		if ok == 0 {
			if errors.Is(callErr, windows.ERROR_NO_MORE_ITEMS) {
				return out, nil
			}
			return out, fmt.Errorf("EvtNext %s: %w", channel, callErr)
		}
		for _, ev := range handles[:returned] {
			var x []byte
			x, buf, err = render(ev, buf)
			procEvtClose.Call(ev)
			if err != nil {
				return out, err
			}
			out = append(out, x)
		}
	}
	return out, nil
}

// render writes one event as XML (UTF-8), growing buf as EvtRender asks.
func render(ev uintptr, buf []uint16) ([]byte, []uint16, error) {
	if len(buf) == 0 {
		buf = make([]uint16, 4096)
	}
	for {
		var used, props uint32
		ok, _, callErr := procEvtRender.Call(0, ev, evtRenderEventXML, uintptr(len(buf)*2),
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&used)), uintptr(unsafe.Pointer(&props)))
		if ok != 0 {
			return []byte(windows.UTF16ToString(buf[:used/2])), buf, nil
		}
		if !errors.Is(callErr, windows.ERROR_INSUFFICIENT_BUFFER) {
			return nil, buf, fmt.Errorf("EvtRender: %w", callErr)
		}
		buf = make([]uint16, used/2+1)
	}
}
