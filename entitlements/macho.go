package entitlements

import (
	"bytes"
	"debug/macho"
	"encoding/binary"
	"fmt"
)

// Code-signature constants (Apple's cs_blobs.h; all big-endian).
const (
	lcCodeSignature      = 0x1d
	csMagicEmbedded      = 0xfade0cc0 // the SuperBlob of an embedded signature
	csMagicEntitlements  = 0xfade7171 // the XML entitlements blob
	csSlotEntitlements   = 5
	maxSuperBlobEntries  = 1 << 10
	superBlobHeader      = 12 // magic, length, count
	superBlobIndexLength = 8  // type, offset
	blobHeader           = 8  // magic, length
)

// parseMachO finds the entitlements in the code signature of a thin or
// universal Mach-O file: the LC_CODE_SIGNATURE load command points at a
// SuperBlob, whose entitlements slot holds an XML property list. A
// universal file's first architecture that has entitlements is used.
func parseMachO(name string, data []byte) (*Set, error) {
	if binary.BigEndian.Uint32(data) == macho.MagicFat {
		ff, err := macho.NewFatFile(bytes.NewReader(data))
		if err != nil {
			return nil, &Error{File: name, Format: "Mach-O", Offset: 0, HasOffset: true, Msg: err.Error()}
		}
		defer ff.Close()
		var firstErr error
		for _, a := range ff.Arches {
			set, err := sliceEntitlements(name, data, a.File, int64(a.Offset), int64(a.Size))
			if err == nil {
				return set, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		if firstErr == nil {
			firstErr = &Error{File: name, Format: "Mach-O", HasOffset: true, Msg: "the universal file holds no architecture"}
		}
		return nil, firstErr
	}
	f, err := macho.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, &Error{File: name, Format: "Mach-O", HasOffset: true, Msg: err.Error()}
	}
	defer f.Close()
	return sliceEntitlements(name, data, f, 0, int64(len(data)))
}

// sliceEntitlements reads the entitlements of the Mach-O image f, which
// spans data[base:base+size].
func sliceEntitlements(name string, data []byte, f *macho.File, base, size int64) (*Set, error) {
	bad := func(off int64, format string, args ...any) error {
		return &Error{File: name, Format: "Mach-O", Offset: off, HasOffset: true, Msg: fmt.Sprintf(format, args...)}
	}
	if base < 0 || size < 0 || base > int64(len(data)) || size > int64(len(data))-base {
		return nil, bad(base, "the architecture's slice lies outside the file")
	}
	img := data[base : base+size]
	bo := f.ByteOrder
	// The load commands follow the header; cmd is the file offset of the
	// current one, where an error about its fields points.
	cmd := base + 32
	if f.Magic == macho.Magic32 {
		cmd = base + 28
	}
	for _, l := range f.Loads {
		raw := l.Raw()
		at := cmd
		cmd += int64(len(raw))
		if len(raw) < 16 || bo.Uint32(raw) != lcCodeSignature {
			continue
		}
		off, n := int64(bo.Uint32(raw[8:])), int64(bo.Uint32(raw[12:]))
		if off > int64(len(img)) || n > int64(len(img))-off {
			return nil, bad(min(at, int64(len(data))), "the code signature (%d bytes at %d) lies outside the file", n, off)
		}
		return superBlob(name, img[off:off+n], base+off)
	}
	return nil, bad(base, "the executable is not signed (no LC_CODE_SIGNATURE load command); sign it, or pass the entitlements as a property list")
}

// superBlob finds the entitlements blob in an embedded signature at
// file offset at.
func superBlob(name string, sig []byte, at int64) (*Set, error) {
	bad := func(off int64, format string, args ...any) error {
		return &Error{File: name, Format: "Mach-O", Offset: at + off, HasOffset: true, Msg: fmt.Sprintf(format, args...)}
	}
	be := binary.BigEndian
	if len(sig) < superBlobHeader || be.Uint32(sig) != csMagicEmbedded {
		return nil, bad(0, "the code signature does not start with an embedded-signature SuperBlob (magic 0x%x)", csMagicEmbedded)
	}
	length, count := int64(be.Uint32(sig[4:])), int64(be.Uint32(sig[8:]))
	if length > int64(len(sig)) || length < superBlobHeader {
		return nil, bad(4, "the SuperBlob's length %d does not fit its %d bytes", length, len(sig))
	}
	sig = sig[:length]
	if count > maxSuperBlobEntries || superBlobHeader+count*superBlobIndexLength > length {
		return nil, bad(8, "the SuperBlob's index of %d entries does not fit", count)
	}
	for i := int64(0); i < count; i++ {
		e := sig[superBlobHeader+i*superBlobIndexLength:]
		if be.Uint32(e) != csSlotEntitlements {
			continue
		}
		off := int64(be.Uint32(e[4:]))
		if off > length-blobHeader {
			return nil, bad(superBlobHeader+i*superBlobIndexLength+4, "the entitlements blob's offset %d lies outside the signature", off)
		}
		blob := sig[off:]
		if be.Uint32(blob) != csMagicEntitlements {
			return nil, bad(off, "the entitlements slot does not hold an entitlements blob (magic 0x%x)", csMagicEntitlements)
		}
		n := int64(be.Uint32(blob[4:]))
		if n < blobHeader || n > int64(len(blob)) {
			return nil, bad(off+4, "the entitlements blob's length %d does not fit", n)
		}
		set, err := parsePlist(name+" (code signature)", blob[blobHeader:n], "XML property list")
		if err != nil {
			if e, ok := err.(*Error); ok {
				// Say where the embedded property list starts.
				e.Msg += fmt.Sprintf(" (in the property list at offset %d)", at+off+blobHeader)
			}
			return nil, err
		}
		return set, nil
	}
	return nil, bad(0, "the code signature has no entitlements; the app has none, or pass them as a property list")
}
