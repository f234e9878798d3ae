package actors

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/redactor-go/redactor/resp"
)

// The typed accessors of Result. Each returns r.Err first when it is set,
// ErrNil for a nil reply, and an error wrapping ErrUnexpectedType for a
// reply it cannot convert. They convert only where Redis itself sends a
// value as text (a score as "1.5", a counter read with GET as "42") and
// between numbers; anything else is refused, never guessed.

// IsNil reports whether the command succeeded with a nil reply (GET of a
// missing key, a null array). It is false when Err is set.
func (r Result) IsNil() bool { return r.Err == nil && r.Value == nil }

// Text returns a string reply: a simple string ("OK"), a bulk string or a
// RESP3 verbatim string. Numbers are not formatted: an integer reply is an
// ErrUnexpectedType error.
func (r Result) Text() (string, error) {
	if r.Err != nil {
		return "", r.Err
	}
	switch v := r.Value.(type) {
	case string:
		return v, nil
	case nil:
		return "", ErrNil
	}
	return "", unexpected("Text", r.Value)
}

// Bytes returns a string reply, as Text does, as a new []byte the caller
// owns; an empty string gives an empty, non-nil slice.
func (r Result) Bytes() ([]byte, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	switch v := r.Value.(type) {
	case string:
		return []byte(v), nil
	case nil:
		return nil, ErrNil
	}
	return nil, unexpected("Bytes", r.Value)
}

// Int64 returns an integer reply; a string of a base-10 integer ("42", as
// GET gives a counter back); or a RESP3 big number that fits. A string
// that is not one, or one out of range, is an ErrUnexpectedType error
// that also wraps strconv.ErrSyntax or strconv.ErrRange.
func (r Result) Int64() (int64, error) {
	if r.Err != nil {
		return 0, r.Err
	}
	switch v := r.Value.(type) {
	case int64:
		return v, nil
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, unparsable("Int64", v, err)
		}
		return n, nil
	case *big.Int:
		if !v.IsInt64() {
			return 0, fmt.Errorf("%w: Int64 of the big number %s: %w", ErrUnexpectedType, v, strconv.ErrRange)
		}
		return v.Int64(), nil
	case nil:
		return 0, ErrNil
	}
	return 0, unexpected("Int64", r.Value)
}

// Float64 returns a RESP3 double; a string of a number as Redis writes
// floats ("1.5", "-3e-05", "inf", "-inf": a ZSCORE or INCRBYFLOAT reply in
// RESP2); or an integer or RESP3 big number, converted (exactly up to
// 2^53). A string that is not a number is an ErrUnexpectedType error that
// also wraps strconv.ErrSyntax or strconv.ErrRange.
func (r Result) Float64() (float64, error) {
	if r.Err != nil {
		return 0, r.Err
	}
	switch v := r.Value.(type) {
	case float64:
		return v, nil
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, unparsable("Float64", v, err)
		}
		return f, nil
	case int64:
		return float64(v), nil
	case *big.Int:
		f, _ := new(big.Float).SetInt(v).Float64()
		return f, nil
	case nil:
		return 0, ErrNil
	}
	return 0, unexpected("Float64", r.Value)
}

// Bool returns a RESP3 boolean, or an integer reply of 0 (false) or 1
// (true), as SISMEMBER, EXPIRE, HSETNX or EXISTS of one key give. Any other
// integer, and a status such as "OK", is an ErrUnexpectedType error: check
// Err for whether a command ran, and IsNil for SET ... NX, which answers
// "OK" or nil.
func (r Result) Bool() (bool, error) {
	if r.Err != nil {
		return false, r.Err
	}
	switch v := r.Value.(type) {
	case bool:
		return v, nil
	case int64:
		switch v {
		case 0:
			return false, nil
		case 1:
			return true, nil
		}
		return false, fmt.Errorf("%w: Bool of the integer %d: not 0 or 1", ErrUnexpectedType, v)
	case nil:
		return false, ErrNil
	}
	return false, unexpected("Bool", r.Value)
}

// Slice returns an array reply (RESP3: also a set or a push) as it is:
// its elements are Values of the types listed on Result.Value. An empty
// array gives an empty slice, a null array ErrNil.
func (r Result) Slice() ([]any, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	switch v := r.Value.(type) {
	case []any:
		return v, nil
	case nil:
		return nil, ErrNil
	}
	return nil, unexpected("Slice", r.Value)
}

// StringMap returns a map of strings to strings from a RESP2 array of
// field/value pairs (HGETALL, CONFIG GET) or a RESP3 map. Every field and
// value must be a string: an odd count or any other element is an
// ErrUnexpectedType error. Of a field given twice, the last value wins.
// An empty array gives an empty map.
func (r Result) StringMap() (map[string]string, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	switch v := r.Value.(type) {
	case []any:
		if len(v)%2 != 0 {
			return nil, fmt.Errorf("%w: StringMap of an array of %d elements: not field/value pairs", ErrUnexpectedType, len(v))
		}
		m := make(map[string]string, len(v)/2)
		for i := 0; i < len(v); i += 2 {
			field, ok1 := v[i].(string)
			value, ok2 := v[i+1].(string)
			if !ok1 || !ok2 {
				bad := i
				if ok1 {
					bad = i + 1
				}
				return nil, fmt.Errorf("%w: StringMap of an array whose element %d is %s, not a string", ErrUnexpectedType, bad, describe(v[bad]))
			}
			m[field] = value
		}
		return m, nil
	case map[string]any:
		m := make(map[string]string, len(v))
		for field, value := range v {
			s, ok := value.(string)
			if !ok {
				return nil, fmt.Errorf("%w: StringMap of a map whose field %q is %s, not a string", ErrUnexpectedType, field, describe(value))
			}
			m[field] = s
		}
		return m, nil
	case nil:
		return nil, ErrNil
	}
	return nil, unexpected("StringMap", r.Value)
}

// unexpected is the error of an accessor given a reply of a type it does not
// convert.
func unexpected(accessor string, v any) error {
	return fmt.Errorf("%w: %s of %s reply", ErrUnexpectedType, accessor, describe(v))
}

// unparsable is the error of an accessor given a string that is not the
// number it parses; err is strconv's.
func unparsable(accessor, s string, err error) error {
	const maxQuoted = 64
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "..."
	}
	var numErr *strconv.NumError
	if errors.As(err, &numErr) {
		err = numErr.Err
	}
	return fmt.Errorf("%w: %s of the string %q: %w", ErrUnexpectedType, accessor, s, err)
}

// describe names the Go type of a reply value and the RESP type it comes
// from, with its article.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "a nil (null)"
	case string:
		return "a string (simple, bulk or verbatim string)"
	case int64:
		return "an int64 (integer)"
	case float64:
		return "a float64 (RESP3 double)"
	case bool:
		return "a bool (RESP3 boolean)"
	case []any:
		return "a []any (array)"
	case map[string]any:
		return "a map[string]any (RESP3 map)"
	case *big.Int:
		return "a *big.Int (RESP3 big number)"
	case *resp.Error:
		return "a *resp.Error (error reply)"
	}
	return fmt.Sprintf("a %T", v)
}
