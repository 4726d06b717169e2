// SPDX-License-Identifier: GPL-3.0-or-later
//
// The oracle for tests/test-ollama-json.c: the bytes of the params and
// messages layers as `ollama create` writes them, made by Go's own
// encoding/json the way Ollama goes about it: the client's typed values
// (float32, int64, bool, string, []string; api.Message) marshalled into the
// request, the server decoding them into map[string]any / []Message, and
// json.NewEncoder(...).Encode writing the blob. Standard library only.
//
// Input on stdin, one case a line, every string in hex:
//   params NAME TYPE VALUE ...   TYPE: f32 (VALUE the float32's bits in
//                                hex), int (decimal), bool (0/1), str,
//                                strs (hex strings joined by '.', '-' for none)
//   messages ROLE CONTENT ...
//   manifest BYTES, config BYTES: decoded into Ollama's structs and
//                                encoded again (a blob Ollama would write
//                                the same way comes out the same)
// Output: one line per case, the blob in hex.
//
// Ollama is built with Go 1.22 or later, whose encoding/json writes \b and
// \f where older ones write \u0008 and \u000c: older output is rewritten so.
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// manifest.Manifest, manifest.Layer and model.ConfigV2: their fields and
// tags, as Ollama declares them.
type layer struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	From      string `json:"from,omitempty"`
	Name      string `json:"name,omitempty"`
}

type manifest struct {
	SchemaVersion int     `json:"schemaVersion"`
	MediaType     string  `json:"mediaType"`
	Config        layer   `json:"config"`
	Layers        []layer `json:"layers"`
}

type draft struct {
	ModelFormat  string `json:"model_format,omitempty"`
	Architecture string `json:"architecture,omitempty"`
	TensorPrefix string `json:"tensor_prefix,omitempty"`
	Config       string `json:"config,omitempty"`
}

type configV2 struct {
	ModelFormat   string   `json:"model_format"`
	ModelFamily   string   `json:"model_family"`
	ModelFamilies []string `json:"model_families"`
	ModelType     string   `json:"model_type"`
	FileType      string   `json:"file_type"`
	Renderer      string   `json:"renderer,omitempty"`
	Parser        string   `json:"parser,omitempty"`
	Requires      string   `json:"requires,omitempty"`
	RemoteHost    string   `json:"remote_host,omitempty"`
	RemoteModel   string   `json:"remote_model,omitempty"`
	Capabilities  []string `json:"capabilities,omitempty"`
	ContextLen    int      `json:"context_length,omitempty"`
	EmbedLen      int      `json:"embedding_length,omitempty"`
	BaseName      string   `json:"base_name,omitempty"`
	Draft         *draft   `json:"draft,omitempty"`
	Architecture  string   `json:"architecture"`
	OS            string   `json:"os"`
}

// reencode: @data decoded into @into and written by the Encoder again.
func reencode(data string, into any) []byte {
	if err := json.Unmarshal([]byte(data), into); err != nil {
		return []byte("ERROR " + err.Error())
	}
	var out bytes.Buffer
	json.NewEncoder(&out).Encode(into)
	return out.Bytes()
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

func unhex(s string) string {
	if s == "-" {
		return ""
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// roundTrip: the client's json.Marshal, the server's decoding, its Encoder.
func roundTrip(v any, into any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte("ERROR " + err.Error())
	}
	if err := json.Unmarshal(b, into); err != nil {
		panic(err)
	}
	var out bytes.Buffer
	if err := json.NewEncoder(&out).Encode(into); err != nil {
		panic(err)
	}
	return out.Bytes()
}

// modern: \u0008 → \b, \u000c → \f, escapes read pairwise.
func modern(b []byte) []byte {
	var out bytes.Buffer
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			if bytes.HasPrefix(b[i:], []byte(`\u0008`)) {
				out.WriteString(`\b`)
				i += 5
				continue
			}
			if bytes.HasPrefix(b[i:], []byte(`\u000c`)) {
				out.WriteString(`\f`)
				i += 5
				continue
			}
			out.WriteByte(b[i])
			out.WriteByte(b[i+1])
			i++
			continue
		}
		out.WriteByte(b[i])
	}
	return out.Bytes()
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		var out []byte
		switch f[0] {
		case "params":
			p := map[string]any{}
			for i := 1; i+2 < len(f); i += 3 {
				name, typ, val := unhex(f[i]), f[i+1], f[i+2]
				switch typ {
				case "f32":
					bits, _ := strconv.ParseUint(val, 16, 32)
					p[name] = math.Float32frombits(uint32(bits))
				case "int":
					n, _ := strconv.ParseInt(val, 10, 64)
					p[name] = n
				case "bool":
					p[name] = val == "1"
				case "str":
					p[name] = unhex(val)
				case "strs":
					list := []string{}
					if val != "-" {
						for _, s := range strings.Split(val, ".") {
							list = append(list, unhex(s))
						}
					}
					p[name] = list
				}
			}
			var m map[string]any
			out = roundTrip(p, &m)
		case "manifest":
			out = reencode(unhex(f[1]), &manifest{})
		case "config":
			out = reencode(unhex(f[1]), &configV2{})
		case "messages":
			var ms []message
			for i := 1; i+1 < len(f); i += 2 {
				ms = append(ms, message{Role: unhex(f[i]), Content: unhex(f[i+1])})
			}
			var back []message
			out = roundTrip(ms, &back)
			// api.Message's UnmarshalJSON lowercases the role
			for i := range back {
				back[i].Role = strings.ToLower(back[i].Role)
			}
			var b bytes.Buffer
			json.NewEncoder(&b).Encode(back)
			out = b.Bytes()
		}
		fmt.Println(hex.EncodeToString(modern(out)))
	}
}
