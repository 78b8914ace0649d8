package embedded

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// field is one top-level member of a JSON object, kept in document order.
type field struct {
	Key   string
	Value json.RawMessage
}

// incomingDoc is a document as a caller sent it, split into CouchDB's special members and the
// user's fields.
type incomingDoc struct {
	ID        string
	Rev       string
	Deleted   bool
	Revisions *revisions
	Atts      map[string]incomingAtt // nil when the doc has no _attachments member
	Body      []byte                 // JSON object of the user's fields, in their order
}

type revisions struct {
	Start int      `json:"start"`
	IDs   []string `json:"ids"`
}

type incomingAtt struct {
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
	Stub        bool   `json:"stub"`
	Follows     bool   `json:"follows"`
	Digest      string `json:"digest"`
	Length      int64  `json:"length"`
	RevPos      int    `json:"revpos"`
}

// ignoredSpecial are the special members CouchDB accepts on write and ignores.
var ignoredSpecial = map[string]bool{
	"_revs_info": true, "_conflicts": true, "_deleted_conflicts": true, "_local_seq": true,
}

// toJSON marshals what kivik handed the driver as a document.
func toJSON(doc any) ([]byte, error) {
	switch d := doc.(type) {
	case json.RawMessage:
		return d, nil
	case []byte:
		return d, nil
	case string:
		return []byte(d), nil
	case nil:
		return nil, errBadRequest("Missing JSON body")
	case io.Reader:
		return io.ReadAll(d)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, errBadRequest("Document is not valid JSON: " + err.Error())
	}
	return data, nil
}

// splitObject returns the members of a JSON object in order.
func splitObject(data []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errBadRequest("Document must be a JSON object")
	}
	var out []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errBadRequest("invalid JSON")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errBadRequest("invalid JSON")
		}
		out = append(out, field{Key: tok.(string), Value: v})
	}
	return out, nil
}

// joinObject is the inverse of splitObject.
func joinObject(fields []field) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(f.Value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func parseDoc(doc any) (*incomingDoc, error) {
	data, err := toJSON(doc)
	if err != nil {
		return nil, err
	}
	fields, err := splitObject(data)
	if err != nil {
		return nil, err
	}
	in := &incomingDoc{}
	user := fields[:0:0]
	for _, f := range fields {
		if len(f.Key) == 0 || f.Key[0] != '_' {
			user = append(user, f)
			continue
		}
		if err := in.setSpecial(f); err != nil {
			return nil, err
		}
	}
	in.Body = joinObject(user)
	return in, nil
}

func (in *incomingDoc) setSpecial(f field) error {
	var err error
	switch f.Key {
	case "_id":
		err = json.Unmarshal(f.Value, &in.ID)
	case "_rev":
		err = json.Unmarshal(f.Value, &in.Rev)
	case "_deleted":
		err = json.Unmarshal(f.Value, &in.Deleted)
	case "_revisions":
		in.Revisions = &revisions{}
		err = json.Unmarshal(f.Value, in.Revisions)
	case "_attachments":
		in.Atts = map[string]incomingAtt{}
		if string(f.Value) != "null" {
			err = json.Unmarshal(f.Value, &in.Atts)
		}
	default:
		if !ignoredSpecial[f.Key] {
			return errDocValidation("Bad special document member: " + f.Key)
		}
	}
	if err != nil {
		return errBadRequest(fmt.Sprintf("Invalid %s member: %v", f.Key, err))
	}
	return nil
}
