package resp

import "fmt"

// KeySpecFlags is the set of flags of a key spec.
type KeySpecFlags uint32

// The key spec flags. Flag strings the package does not know are ignored.
const (
	KeyRO            KeySpecFlags = 1 << iota // "RO": read only
	KeyRW                                     // "RW": read and write
	KeyOW                                     // "OW": overwrite
	KeyRM                                     // "RM": remove
	KeyAccess                                 // "access": returns user data
	KeyUpdate                                 // "update": updates existing data
	KeyInsert                                 // "insert": adds data
	KeyDelete                                 // "delete": deletes data
	KeyNotKey                                 // "not_key": a shard channel, hashed like a key
	KeyIncomplete                             // "incomplete": may miss keys, or find wrong ones
	KeyVariableFlags                          // "variable_flags": the flags depend on the arguments
)

var keySpecFlagNames = map[string]KeySpecFlags{
	"RO":             KeyRO,
	"RW":             KeyRW,
	"OW":             KeyOW,
	"RM":             KeyRM,
	"access":         KeyAccess,
	"update":         KeyUpdate,
	"insert":         KeyInsert,
	"delete":         KeyDelete,
	"not_key":        KeyNotKey,
	"incomplete":     KeyIncomplete,
	"variable_flags": KeyVariableFlags,
}

// KeySpec is a key specification (Redis 7+): a rule that finds where some of
// the keys of a command are. BeginSearch finds the first key, from which
// FindKeys finds the others.
type KeySpec struct {
	// Flags are the spec's flags (RW, OW, RM, ...).
	Flags KeySpecFlags
	// BeginSearch finds the first key.
	BeginSearch BeginSearch
	// FindKeys finds the others from it.
	FindKeys FindKeys
	// Notes is the server's comment, if any.
	Notes string
}

// BeginSearchType is the kind of a BeginSearch.
type BeginSearchType uint8

// The BeginSearch kinds.
const (
	BeginSearchUnknown BeginSearchType = iota // the keys cannot be found from the spec
	BeginSearchIndex                          // the first key is at Index
	BeginSearchKeyword                        // the first key follows Keyword
)

// BeginSearch locates the first key of a KeySpec.
type BeginSearch struct {
	// Type is how the first key is found.
	Type BeginSearchType
	// Index is the position of the first key (BeginSearchIndex).
	Index int
	// Keyword is searched for, case-insensitively, from StartFrom (forward)
	// or, when StartFrom is negative, from len(args)+StartFrom (backward);
	// the first key follows it (BeginSearchKeyword).
	Keyword string
	// StartFrom is where the search for Keyword starts (see Keyword).
	StartFrom int
}

// FindKeysType is the kind of a FindKeys.
type FindKeysType uint8

// The FindKeys kinds.
const (
	FindKeysUnknown FindKeysType = iota // the keys cannot be found from the spec
	FindKeysRange                       // keys are every KeyStep up to LastKey
	FindKeysKeyNum                      // an argument gives the number of keys
)

// FindKeys locates the keys of a KeySpec from its first key.
type FindKeys struct {
	// Type is how the keys after the first are found.
	Type FindKeysType
	// LastKey is the last key relative to the first key, or negative: from
	// the end of the arguments, -1 being the last (FindKeysRange).
	LastKey int
	// KeyStep is the distance between two keys (both kinds).
	KeyStep int
	// Limit, with LastKey -1, stops at 1/Limit of the remaining arguments:
	// 2 for "keys then as many values" (FindKeysRange).
	Limit int
	// KeyNumIdx is the position of the number of keys, relative to the first
	// key; FirstKey is the first key relative to the same (FindKeysKeyNum).
	KeyNumIdx, FirstKey int
}

// parseKeySpecs parses the key specs of an entry.
func parseKeySpecs(v any) ([]KeySpec, error) {
	list, err := tableList(v, "key specs")
	if err != nil || len(list) == 0 {
		return nil, err
	}
	specs := make([]KeySpec, len(list))
	for i, s := range list {
		if err := specs[i].parse(s); err != nil {
			return nil, fmt.Errorf("key spec %d: %w", i, err)
		}
	}
	return specs, nil
}

func (s *KeySpec) parse(v any) error {
	m, err := tableFields(v, "key spec")
	if err != nil {
		return err
	}
	if notes, ok := m["notes"].(string); ok {
		s.Notes = notes
	}
	flags, err := tableList(m["flags"], "flags")
	if err != nil {
		return err
	}
	for _, f := range flags {
		name, ok := f.(string)
		if !ok {
			return fmt.Errorf("flag is %T, want a string", f)
		}
		s.Flags |= keySpecFlagNames[name]
	}
	if err := s.BeginSearch.parse(m["begin_search"]); err != nil {
		return fmt.Errorf("begin_search: %w", err)
	}
	if err := s.FindKeys.parse(m["find_keys"]); err != nil {
		return fmt.Errorf("find_keys: %w", err)
	}
	return nil
}

func (b *BeginSearch) parse(v any) error {
	typ, spec, err := tableTyped(v)
	if err != nil {
		return err
	}
	switch typ {
	case "index":
		b.Type = BeginSearchIndex
		b.Index, err = tableInt(spec["index"], "index")
	case "keyword":
		b.Type = BeginSearchKeyword
		var ok bool
		if b.Keyword, ok = spec["keyword"].(string); !ok {
			return fmt.Errorf("keyword is %T, want a string", spec["keyword"])
		}
		b.StartFrom, err = tableInt(spec["startfrom"], "startfrom")
	}
	return err
}

func (f *FindKeys) parse(v any) error {
	typ, spec, err := tableTyped(v)
	if err != nil {
		return err
	}
	switch typ {
	case "range":
		f.Type = FindKeysRange
		if f.LastKey, err = tableInt(spec["lastkey"], "lastkey"); err != nil {
			return err
		}
		if f.KeyStep, err = tableInt(spec["keystep"], "keystep"); err != nil {
			return err
		}
		f.Limit, err = tableInt(spec["limit"], "limit")
	case "keynum":
		f.Type = FindKeysKeyNum
		if f.KeyNumIdx, err = tableInt(spec["keynumidx"], "keynumidx"); err != nil {
			return err
		}
		if f.FirstKey, err = tableInt(spec["firstkey"], "firstkey"); err != nil {
			return err
		}
		f.KeyStep, err = tableInt(spec["keystep"], "keystep")
	}
	return err
}

// tableTyped parses a {type, spec} pair of a key spec; a missing pair has
// type "" (unknown).
func tableTyped(v any) (typ string, spec map[string]any, err error) {
	if v == nil {
		return "", nil, nil
	}
	m, err := tableFields(v, "search")
	if err != nil {
		return "", nil, err
	}
	typ, ok := m["type"].(string)
	if !ok {
		return "", nil, fmt.Errorf("type is %T, want a string", m["type"])
	}
	spec, err = tableFields(m["spec"], "spec")
	return typ, spec, err
}

// tableFields converts a RESP3 map or a RESP2 flat key/value array; nil is
// an empty map.
func tableFields(v any, what string) (map[string]any, error) {
	switch v := v.(type) {
	case map[string]any:
		return v, nil
	case nil:
		return map[string]any{}, nil
	case []any:
		if len(v)%2 != 0 {
			return nil, fmt.Errorf("%s has %d elements, want key/value pairs", what, len(v))
		}
		m := make(map[string]any, len(v)/2)
		for i := 0; i < len(v); i += 2 {
			k, ok := v[i].(string)
			if !ok {
				return nil, fmt.Errorf("%s field name is %T, want a string", what, v[i])
			}
			m[k] = v[i+1]
		}
		return m, nil
	}
	return nil, fmt.Errorf("%s is %T, want a map or an array", what, v)
}

// complete reports whether the spec finds all its keys by itself.
func (s *KeySpec) complete() bool {
	return s.BeginSearch.Type != BeginSearchUnknown && s.FindKeys.Type != FindKeysUnknown &&
		s.Flags&KeyIncomplete == 0
}

// appendKeys appends the positions of the keys the spec finds in args, the
// way the server does: none when the arguments are too short for the spec
// (the server answers with an arity or syntax error).
func (s *KeySpec) appendKeys(args []string, dst []int) []int {
	argc := len(args)
	var first int
	switch s.BeginSearch.Type {
	case BeginSearchIndex:
		first = s.BeginSearch.Index
	case BeginSearchKeyword:
		first = s.BeginSearch.keywordEnd(args)
	default:
		return dst
	}
	if first < 1 || first >= argc {
		return dst
	}
	f := &s.FindKeys
	var last int
	switch f.Type {
	case FindKeysRange:
		switch {
		case f.LastKey >= 0:
			last = first + f.LastKey
		case f.Limit <= 0:
			last = argc + f.LastKey
		default:
			last = first + (argc-first)/f.Limit + f.LastKey
		}
	case FindKeysKeyNum:
		i := first + f.KeyNumIdx
		if i < 1 || i >= argc {
			return dst
		}
		n, ok := parseKeyCount(args[i], argc)
		if !ok {
			return dst
		}
		first += f.FirstKey
		last = first + n - 1
	default:
		return dst
	}
	return appendKeyRange(dst, first, last, f.KeyStep, argc)
}

// keywordEnd returns the position after the keyword, or 0 when not found.
// Like the server, a forward search stops before the last argument and a
// backward one before args[1].
func (b *BeginSearch) keywordEnd(args []string) int {
	argc := len(args)
	if b.StartFrom > 0 {
		for i := b.StartFrom; i < argc-1; i++ {
			if asciiEqualFold(args[i], b.Keyword) {
				return i + 1
			}
		}
		return 0
	}
	for i := argc + b.StartFrom; i > 1 && i < argc; i-- {
		if asciiEqualFold(args[i], b.Keyword) {
			return i + 1
		}
	}
	return 0
}

// appendKeyRange appends first, first+step, ... up to last, or nothing when
// the range does not fit in [1, argc).
func appendKeyRange(dst []int, first, last, step, argc int) []int {
	if first < 1 || last < first || last >= argc {
		return dst
	}
	if step < 1 {
		step = 1
	}
	for i := first; ; i += step {
		dst = append(dst, i)
		if last-i < step {
			return dst
		}
	}
}

// parseKeyCount parses a decimal number of keys in [0, argc]: a larger one
// cannot fit in the arguments.
func parseKeyCount(s string, argc int) (int, bool) {
	if s == "" || len(s) > 10 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= argc
}

// asciiEqualFold reports whether a and b are equal ignoring ASCII case, as
// the server's strcasecmp.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
