package localcluster

import "errors"

// asType is errors.AsType of Go 1.26, for the module's older go line.
func asType[E error](err error) (E, bool) {
	var target E
	ok := errors.As(err, &target)
	return target, ok
}
