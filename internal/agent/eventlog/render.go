package eventlog

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// renderedEvent is an event as EvtRender(EvtRenderEventXml) writes it.
type renderedEvent struct {
	XMLName xml.Name `xml:"Event"`
	System  struct {
		Provider struct {
			Name            string `xml:"Name,attr"`
			GUID            string `xml:"Guid,attr"`
			EventSourceName string `xml:"EventSourceName,attr"`
		} `xml:"Provider"`
		EventID     string `xml:"EventID"`
		Version     string `xml:"Version"`
		Level       string `xml:"Level"`
		Task        string `xml:"Task"`
		Opcode      string `xml:"Opcode"`
		Keywords    string `xml:"Keywords"`
		TimeCreated struct {
			SystemTime string `xml:"SystemTime,attr"`
		} `xml:"TimeCreated"`
		EventRecordID string `xml:"EventRecordID"`
		Execution     struct {
			ProcessID string `xml:"ProcessID,attr"`
			ThreadID  string `xml:"ThreadID,attr"`
		} `xml:"Execution"`
		Channel  string `xml:"Channel"`
		Computer string `xml:"Computer"`
		Security struct {
			UserID string `xml:"UserID,attr"`
		} `xml:"Security"`
	} `xml:"System"`
	EventData struct {
		Data []struct {
			Name  string `xml:"Name,attr"`
			Value string `xml:",chardata"`
		} `xml:"Data"`
		Binary string `xml:"Binary"`
	} `xml:"EventData"`
	UserData struct {
		Inner []byte `xml:",innerxml"`
	} `xml:"UserData"`
}

// Fields turns one rendered event into the flat fields the EVTX input
// ships: System values by their EVTX names (Provider_Name, EventID,
// TimeCreated, Security_UserID, …), named EventData values by their names,
// unnamed ones as Data (a list when there are several), and UserData's
// leaf elements by their own names.
func Fields(x []byte) (map[string]any, error) {
	var ev renderedEvent
	if err := xml.Unmarshal(x, &ev); err != nil {
		return nil, fmt.Errorf("eventlog: rendered event is not XML: %w", err)
	}
	sys := ev.System
	if sys.EventID == "" {
		return nil, errors.New("eventlog: rendered event has no System/EventID")
	}
	f := map[string]any{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			f[k] = v
		}
	}
	set("Provider_Name", sys.Provider.Name)
	if sys.Provider.Name == "" {
		set("Provider_Name", sys.Provider.EventSourceName)
	}
	set("Provider_Guid", sys.Provider.GUID)
	set("EventID", sys.EventID)
	set("Version", sys.Version)
	set("Level", sys.Level)
	set("Task", sys.Task)
	set("Opcode", sys.Opcode)
	set("Keywords", sys.Keywords)
	set("TimeCreated", sys.TimeCreated.SystemTime)
	set("EventRecordID", sys.EventRecordID)
	set("ProcessID", sys.Execution.ProcessID)
	set("ThreadID", sys.Execution.ThreadID)
	set("Channel", sys.Channel)
	set("Computer", sys.Computer)
	set("Security_UserID", sys.Security.UserID)

	var unnamed []string
	for _, d := range ev.EventData.Data {
		if d.Name != "" {
			f[d.Name] = d.Value
		} else {
			unnamed = append(unnamed, d.Value)
		}
	}
	switch len(unnamed) {
	case 0:
	case 1:
		f["Data"] = unnamed[0]
	default:
		list := make([]any, len(unnamed))
		for i, v := range unnamed {
			list[i] = v
		}
		f["Data"] = list
	}
	set("Binary", ev.EventData.Binary)
	if err := userDataLeaves(ev.UserData.Inner, f); err != nil {
		return nil, err
	}
	return f, nil
}

// userDataLeaves adds the elements of UserData that hold text and no
// elements, by their own names.
func userDataLeaves(inner []byte, f map[string]any) error {
	if len(bytes.TrimSpace(inner)) == 0 {
		return nil
	}
	dec := xml.NewDecoder(bytes.NewReader(inner))
	var names []string
	var text strings.Builder
	leaf := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("eventlog: UserData: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			names = append(names, t.Name.Local)
			text.Reset()
			leaf = true
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if leaf && len(names) > 1 { // the outer element names the payload, not a value
				f[names[len(names)-1]] = strings.TrimSpace(text.String())
			}
			names = names[:len(names)-1]
			leaf = false
		}
	}
}

// recordID reads the EventRecordID of rendered fields.
func recordID(f map[string]any) uint64 {
	s, _ := f["EventRecordID"].(string)
	id, _ := strconv.ParseUint(s, 10, 64)
	return id
}
