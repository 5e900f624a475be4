package rows

import (
	"reflect"
	"strings"
	"unicode/utf8"
)

// Text makes s valid UTF-8. Kubernetes stores messages, reasons, image
// names and annotation values as given, and protobuf clients can send any
// bytes; Parquet readers such as DuckDB refuse a string column that is not
// UTF-8, so one bad message must never make a whole object unreadable.
func Text(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Clean makes every string reachable from the row pointer v valid UTF-8,
// in place. Maps are replaced, never written to: a row shares its label
// map with the informer's cached object.
func Clean(v any) { clean(reflect.ValueOf(v)) }

func clean(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			clean(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == timeType {
			return
		}
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				clean(f)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			clean(v.Index(i))
		}
	case reflect.String:
		if s := v.String(); !utf8.ValidString(s) {
			v.SetString(Text(s))
		}
	case reflect.Map:
		if v.IsNil() || v.Type().Key().Kind() != reflect.String || v.Type().Elem().Kind() != reflect.String {
			return
		}
		bad := false
		for it := v.MapRange(); it.Next() && !bad; {
			bad = !utf8.ValidString(it.Key().String()) || !utf8.ValidString(it.Value().String())
		}
		if !bad {
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			m.SetMapIndex(reflect.ValueOf(Text(it.Key().String())).Convert(v.Type().Key()),
				reflect.ValueOf(Text(it.Value().String())).Convert(v.Type().Elem()))
		}
		v.Set(m)
	}
}
