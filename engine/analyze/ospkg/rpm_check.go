package ospkg

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// go-rpmdb v0.1.1 reads BerkeleyDB and NDB files in a goroutine of its
// own, where no recover reaches, and trusts their offsets: a crafted
// database makes it index out of range (crashing the process), follow an
// overflow chain forever, allocate a length read from the file, or print
// to stdout. checkRPMDB walks the same structures first, with bounds, and
// rejects such a file with an error, so that the library only ever sees
// databases it reads safely. It mirrors the library's traversal
// (pkg/bdb/bdb.go, pkg/ndb/ndb.go): a change of library version must
// revisit it.

var (
	sqliteMagic = []byte("SQLite format 3\x00")
	errRPMDB    = errors.New("malformed rpm database")
)

const (
	ndbHeaderMagic = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlotMagic   = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbBlobMagic   = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24

	bdbPageHeader   = 26
	bdbHashMagic    = 0x00061561
	bdbHashMagicBE  = 0x61150600
	bdbHashPage     = 13
	bdbHashOldPage  = 2
	bdbOffPageItem  = 3
	bdbOverflowPage = 7
)

func checkRPMDB(dbPath string) error {
	f, err := os.Open(dbPath)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	head := make([]byte, 32)
	if _, err := f.ReadAt(head, 0); err != nil {
		return fmt.Errorf("%w: %d bytes", errRPMDB, size)
	}
	le := binary.LittleEndian
	switch {
	case bytes.Equal(head[:16], sqliteMagic):
		return checkSQLiteBlobs(dbPath)
	case le.Uint32(head) == ndbHeaderMagic && le.Uint32(head[4:]) == 0 && le.Uint32(head[12:]) != 0:
		return checkNDB(f, size, le.Uint32(head[12:]))
	default:
		return checkBDB(f, size)
	}
}

// checkBlob checks an rpm header blob: the counts of index entries (il)
// and data bytes (dl) against its size, and the count of each string-array
// entry against dl (each string takes a byte at least; the library walks a
// count of up to 4 billion strings even when the data ends).
func checkBlob(blob []byte) error {
	be := binary.BigEndian
	n := int64(len(blob))
	if n < 8 {
		return fmt.Errorf("%w: header blob of %d bytes", errRPMDB, n)
	}
	il, dl := int64(int32(be.Uint32(blob))), int64(int32(be.Uint32(blob[4:])))
	if il < 1 || dl < 0 || 8+16*il+dl > n {
		return fmt.Errorf("%w: header blob of %d bytes claims %d entries and %d data bytes", errRPMDB, n, il, dl)
	}
	for i := int64(0); i < il; i++ {
		e := blob[8+16*i:]
		if t, count := be.Uint32(e[4:]), int64(be.Uint32(e[12:])); (t == 6 || t == 8 || t == 9) && count > dl {
			return fmt.Errorf("%w: header entry %d: %d strings in %d bytes", errRPMDB, i, count, dl)
		}
	}
	return nil
}

func checkNDB(f *os.File, size int64, slotPages uint32) error {
	if slotPages > 2048 {
		return nil // the library refuses it itself
	}
	slots := make([]byte, int64(slotPages)*4096-32)
	if _, err := f.ReadAt(slots, 32); err != nil {
		return fmt.Errorf("%w: NDB slot pages: %v", errRPMDB, err)
	}
	le := binary.LittleEndian
	blob := make([]byte, 16)
	for i := 0; i+16 <= len(slots); i += 16 {
		s := slots[i:]
		if le.Uint32(s) != ndbSlotMagic {
			return fmt.Errorf("%w: NDB slot %d: bad magic", errRPMDB, i/16)
		}
		pkg, off := le.Uint32(s[4:]), int64(le.Uint32(s[8:]))*16
		if pkg == 0 {
			continue
		}
		if _, err := f.ReadAt(blob, off); err != nil {
			return fmt.Errorf("%w: NDB slot %d: blob at %d: %v", errRPMDB, i/16, off, err)
		}
		n := int64(le.Uint32(blob[12:]))
		if le.Uint32(blob) != ndbBlobMagic || le.Uint32(blob[4:]) != pkg || n > size-off-16 {
			return fmt.Errorf("%w: NDB slot %d: bad blob header at %d", errRPMDB, i/16, off)
		}
		data := make([]byte, n)
		if _, err := f.ReadAt(data, off+16); err != nil {
			return fmt.Errorf("%w: NDB slot %d: %v", errRPMDB, i/16, err)
		}
		if err := checkBlob(data); err != nil {
			return err
		}
	}
	return nil
}

func checkBDB(f *os.File, size int64) error {
	meta := make([]byte, 512)
	if _, err := f.ReadAt(meta, 0); err != nil {
		return nil // the library refuses it itself
	}
	var order binary.ByteOrder = binary.LittleEndian
	switch binary.LittleEndian.Uint32(meta[12:]) {
	case bdbHashMagic:
	case bdbHashMagicBE:
		order = binary.BigEndian
	default:
		return nil // not a hash database: the library refuses it
	}
	pageSize := int64(order.Uint32(meta[20:]))
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return nil // the library refuses it
	}
	pages := size / pageSize
	last := min(int64(order.Uint32(meta[32:])), pages-1)
	page, over := make([]byte, pageSize), make([]byte, pageSize)
	// Each overflow page belongs to one item in a sound database; a budget
	// of steps stops chains that share or revisit pages.
	budget := 2 * pages
	for n := int64(0); n <= last; n++ {
		if _, err := f.ReadAt(page, n*pageSize); err != nil {
			return fmt.Errorf("%w: page %d: %v", errRPMDB, n, err)
		}
		if t := page[25]; t != bdbHashPage && t != bdbHashOldPage {
			continue
		}
		entries := int64(order.Uint16(page[20:]))
		if entries%2 != 0 || bdbPageHeader+2*entries > pageSize {
			return fmt.Errorf("%w: page %d: %d entries", errRPMDB, n, entries)
		}
		for i := int64(1); i < entries; i += 2 {
			item := int64(order.Uint16(page[bdbPageHeader+2*i:]))
			if item >= pageSize {
				return fmt.Errorf("%w: page %d: item at %d", errRPMDB, n, item)
			}
			if page[item] != bdbOffPageItem {
				continue
			}
			if item+12 > pageSize {
				return fmt.Errorf("%w: page %d: item at %d", errRPMDB, n, item)
			}
			var value []byte
			for cur := int64(order.Uint32(page[item+4:])); cur != 0; {
				if budget--; budget < 0 {
					return fmt.Errorf("%w: overflow pages are shared or looped", errRPMDB)
				}
				if cur >= pages {
					return fmt.Errorf("%w: page %d: overflow page %d past the end", errRPMDB, n, cur)
				}
				if _, err := f.ReadAt(over, cur*pageSize); err != nil && !errors.Is(err, io.EOF) {
					return err
				}
				if over[25] != bdbOverflowPage {
					return fmt.Errorf("%w: page %d: page %d in an overflow chain is not an overflow page", errRPMDB, n, cur)
				}
				next, used := int64(order.Uint32(over[16:])), pageSize-bdbPageHeader
				if next == 0 {
					used = int64(order.Uint16(over[22:]))
					if bdbPageHeader+used > pageSize {
						return fmt.Errorf("%w: overflow page %d: %d bytes used", errRPMDB, cur, used)
					}
				}
				value = append(value, over[bdbPageHeader:bdbPageHeader+used]...)
				cur = next
			}
			if len(value) > 0 {
				if err := checkBlob(value); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkSQLiteBlobs checks the header blobs of an SQLite database; SQLite
// itself copes with a corrupt file.
func checkSQLiteBlobs(dbPath string) error {
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query("SELECT blob FROM Packages")
	if err != nil {
		return fmt.Errorf("%w: %v", errRPMDB, err)
	}
	defer rows.Close()
	for rows.Next() {
		var blob []byte
		if err := rows.Scan(&blob); err != nil {
			return fmt.Errorf("%w: %v", errRPMDB, err)
		}
		if err := checkBlob(blob); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %v", errRPMDB, err)
	}
	return nil
}
