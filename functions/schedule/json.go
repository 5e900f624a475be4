package schedule

import (
	"context"
	"encoding/json"

	"github.com/atlhyper/atlhyper/query/store"
)

func putJSON(ctx context.Context, b store.Bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = b.Put(ctx, key, data, store.Condition{})
	return err
}

// GetJSON reads a JSON object; found is false when it does not exist.
func GetJSON(ctx context.Context, b store.Bucket, key string, v any) (found bool, err error) {
	data, _, err := b.Get(ctx, key, "")
	if store.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(data, v)
}
