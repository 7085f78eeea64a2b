package store

import (
	"bytes"
	"encoding/binary"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Tx is a transaction on the store, given to the functions of Update and
// View. It has bbolt's methods, and in an Update it also writes down every
// change it makes: forwards, for the write-ahead log (redo), and backwards,
// so that a function that fails is undone without rolling back the writes of
// the others it shares the open bbolt transaction with (undo). That is why
// other packages see this type and never a *bbolt.Tx: a write that bypassed
// it would be in the file's next checkpoint but not in the log, and lost in
// a crash before it.
type Tx struct {
	tx *bbolt.Tx
	w  *txlog // nil in a read-only transaction
}

// txlog is what one Update function changed.
type txlog struct {
	redo      []byte   // ops, as written to the log (see op*)
	undo      []undoOp // in the order done; undone backwards
	onCommit  []func()
	telemetry bool // only telemetry events may be appended (UpdateTelemetry)
}

// Ops of a redo record. Each is its byte, the bucket's name, then:
// put: key, value; delete: key; bucket ops: nothing; sequence: uvarint.
const (
	opPut byte = iota + 1
	opDelete
	opCreateBucket
	opDeleteBucket
	opSequence
)

type undoOp struct {
	op     byte // what to do to undo: opPut (restore old), opDelete, opCreateBucket (with kv), opDeleteBucket, opSequence
	bucket []byte
	key    []byte
	value  []byte
	seq    uint64
	kv     [][2][]byte // a deleted bucket's contents
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func (l *txlog) add(op byte, bucket, key, value []byte, seq uint64) {
	l.redo = append(l.redo, op)
	l.redo = appendBytes(l.redo, bucket)
	switch op {
	case opPut:
		l.redo = appendBytes(l.redo, key)
		l.redo = appendBytes(l.redo, value)
	case opDelete:
		l.redo = appendBytes(l.redo, key)
	case opSequence:
		l.redo = binary.AppendUvarint(l.redo, seq)
	}
}

// rollback undoes what the function did, newest first.
func (l *txlog) rollback(tx *bbolt.Tx) error {
	for i := len(l.undo) - 1; i >= 0; i-- {
		u := l.undo[i]
		var err error
		switch u.op {
		case opPut:
			err = tx.Bucket(u.bucket).Put(u.key, u.value)
		case opDelete:
			err = tx.Bucket(u.bucket).Delete(u.key)
		case opSequence:
			err = tx.Bucket(u.bucket).SetSequence(u.seq)
		case opDeleteBucket:
			err = tx.DeleteBucket(u.bucket)
		case opCreateBucket:
			var b *bbolt.Bucket
			if b, err = tx.CreateBucket(u.bucket); err == nil {
				for _, kv := range u.kv {
					if err = b.Put(kv[0], kv[1]); err != nil {
						break
					}
				}
				if err == nil {
					err = b.SetSequence(u.seq)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Bucket is a top-level bucket; nil when it does not exist.
func (t *Tx) Bucket(name []byte) *Bucket {
	b := t.tx.Bucket(name)
	if b == nil {
		return nil
	}
	return &Bucket{b: b, t: t, name: name}
}

// CreateBucketIfNotExists returns the bucket, creating it if needed.
func (t *Tx) CreateBucketIfNotExists(name []byte) (*Bucket, error) {
	if b := t.Bucket(name); b != nil {
		return b, nil
	}
	return t.CreateBucket(name)
}

// CreateBucket creates a bucket; bbolt's ErrBucketExists if it does.
func (t *Tx) CreateBucket(name []byte) (*Bucket, error) {
	if t.w == nil {
		return nil, berrors.ErrTxNotWritable
	}
	b, err := t.tx.CreateBucket(name)
	if err != nil {
		return nil, err
	}
	name = bytes.Clone(name)
	t.w.add(opCreateBucket, name, nil, nil, 0)
	t.w.undo = append(t.w.undo, undoOp{op: opDeleteBucket, bucket: name})
	return &Bucket{b: b, t: t, name: name}, nil
}

// DeleteBucket deletes a bucket and everything in it.
func (t *Tx) DeleteBucket(name []byte) error {
	if t.w == nil {
		return berrors.ErrTxNotWritable
	}
	b := t.tx.Bucket(name)
	if b == nil {
		return berrors.ErrBucketNotFound
	}
	u := undoOp{op: opCreateBucket, bucket: bytes.Clone(name), seq: b.Sequence()}
	err := b.ForEach(func(k, v []byte) error {
		if v == nil {
			return berrors.ErrIncompatibleValue // nested buckets are not used here
		}
		u.kv = append(u.kv, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
		return nil
	})
	if err != nil {
		return err
	}
	if err := t.tx.DeleteBucket(name); err != nil {
		return err
	}
	t.w.add(opDeleteBucket, u.bucket, nil, nil, 0)
	t.w.undo = append(t.w.undo, u)
	return nil
}

// OnCommit runs fn once the transaction's writes are durable (in an
// UpdateTelemetry, at the flush that makes them so), outside the store's
// locks. It never runs for a function that failed.
func (t *Tx) OnCommit(fn func()) {
	if t.w != nil {
		t.w.onCommit = append(t.w.onCommit, fn)
	}
}

// Bucket is a bucket of a Tx.
type Bucket struct {
	b    *bbolt.Bucket
	t    *Tx
	name []byte
}

// Get returns the value of key or nil. The slice is valid only until the
// transaction's function returns.
func (b *Bucket) Get(key []byte) []byte { return b.b.Get(key) }

// Put sets key to value.
func (b *Bucket) Put(key, value []byte) error {
	w := b.t.w
	if w == nil {
		return berrors.ErrTxNotWritable
	}
	old := b.b.Get(key)
	u := undoOp{op: opDelete, bucket: b.name, key: bytes.Clone(key)}
	if old != nil {
		u.op, u.value = opPut, bytes.Clone(old)
	}
	// bbolt keeps value (not key) until its transaction commits, which is
	// now the next checkpoint, long after the caller has reused its buffer.
	if err := b.b.Put(key, bytes.Clone(value)); err != nil {
		return err
	}
	w.add(opPut, b.name, key, value, 0)
	w.undo = append(w.undo, u)
	return nil
}

// Delete removes key; deleting a missing key is not an error.
func (b *Bucket) Delete(key []byte) error {
	w := b.t.w
	if w == nil {
		return berrors.ErrTxNotWritable
	}
	old := b.b.Get(key)
	if old == nil {
		return nil
	}
	u := undoOp{op: opPut, bucket: b.name, key: bytes.Clone(key), value: bytes.Clone(old)}
	if err := b.b.Delete(key); err != nil {
		return err
	}
	w.add(opDelete, b.name, key, nil, 0)
	w.undo = append(w.undo, u)
	return nil
}

// Sequence is the bucket's counter.
func (b *Bucket) Sequence() uint64 { return b.b.Sequence() }

// NextSequence increments the bucket's counter and returns it.
func (b *Bucket) NextSequence() (uint64, error) {
	if b.t.w == nil {
		return 0, berrors.ErrTxNotWritable
	}
	return b.Sequence() + 1, b.SetSequence(b.Sequence() + 1)
}

// SetSequence sets the bucket's counter.
func (b *Bucket) SetSequence(v uint64) error {
	w := b.t.w
	if w == nil {
		return berrors.ErrTxNotWritable
	}
	old := b.b.Sequence()
	if err := b.b.SetSequence(v); err != nil {
		return err
	}
	w.add(opSequence, b.name, nil, nil, v)
	w.undo = append(w.undo, undoOp{op: opSequence, bucket: b.name, seq: old})
	return nil
}

// ForEach calls fn for every key in order; fn must not change the bucket.
func (b *Bucket) ForEach(fn func(k, v []byte) error) error { return b.b.ForEach(fn) }

// Stats are bbolt's statistics of the bucket.
func (b *Bucket) Stats() bbolt.BucketStats { return b.b.Stats() }

// Cursor reads the bucket in key order. It cannot write: a change goes
// through Put and Delete, which log it.
func (b *Bucket) Cursor() *Cursor { return &Cursor{c: b.b.Cursor()} }

// Cursor is a read-only bbolt cursor.
type Cursor struct{ c *bbolt.Cursor }

func (c *Cursor) First() (key, value []byte)           { return c.c.First() }
func (c *Cursor) Last() (key, value []byte)            { return c.c.Last() }
func (c *Cursor) Next() (key, value []byte)            { return c.c.Next() }
func (c *Cursor) Prev() (key, value []byte)            { return c.c.Prev() }
func (c *Cursor) Seek(seek []byte) (key, value []byte) { return c.c.Seek(seek) }

// applyRedo replays a redo record's ops onto tx (recovery at Open, and
// after a failed write of the log).
func applyRedo(tx *bbolt.Tx, rec []byte) error {
	for len(rec) > 0 {
		op := rec[0]
		rec = rec[1:]
		var bucket, key, value []byte
		var seq uint64
		var ok bool
		if bucket, rec, ok = readBytes(rec); !ok {
			return errBadRedo
		}
		switch op {
		case opPut:
			if key, rec, ok = readBytes(rec); ok {
				value, rec, ok = readBytes(rec)
			}
		case opDelete:
			key, rec, ok = readBytes(rec)
		case opSequence:
			var n int
			seq, n = binary.Uvarint(rec)
			ok = n > 0
			if ok {
				rec = rec[n:]
			}
		case opCreateBucket, opDeleteBucket:
			ok = true
		}
		if !ok {
			return errBadRedo
		}
		var err error
		switch op {
		case opCreateBucket:
			_, err = tx.CreateBucket(bucket)
		case opDeleteBucket:
			err = tx.DeleteBucket(bucket)
		default:
			b := tx.Bucket(bucket)
			if b == nil {
				return berrors.ErrBucketNotFound
			}
			switch op {
			case opPut:
				err = b.Put(key, value)
			case opDelete:
				err = b.Delete(key)
			case opSequence:
				err = b.SetSequence(seq)
			default:
				return errBadRedo
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func readBytes(b []byte) (v, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return nil, nil, false
	}
	return b[k : k+int(n)], b[k+int(n):], true
}
