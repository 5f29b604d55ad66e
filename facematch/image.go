package facematch

import (
	"bytes"
	"encoding/binary"
	"image/png" // header parsing only: dimensions are read before OpenCV decodes

	"gocv.io/x/gocv"
)

// Limits on encoded images. A card photo is a few kB; a test portrait a few hundred.
const (
	MaxImageBytes  = 20 << 20
	MaxImageSide   = 8192
	MaxImagePixels = 40_000_000
	MinImageSide   = 24
)

// ImageInfo is what the header says about an encoded image.
type ImageInfo struct {
	Format        string // "jpeg", "png", "jp2" (JPEG 2000 file), "j2k" (JPEG 2000 codestream)
	Width, Height int
}

var (
	magicJPEG = []byte{0xFF, 0xD8, 0xFF}
	magicPNG  = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}
	magicJP2  = []byte{0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', '\r', '\n', 0x87, '\n'}
	magicJ2K  = []byte{0xFF, 0x4F, 0xFF, 0x51}
)

// InspectImage identifies an encoded image from its magic bytes and reads its
// dimensions from its header, without decoding pixels or allocating a raster, and
// refuses anything OpenCV should not be asked to decode.
func InspectImage(data []byte) (ImageInfo, error) {
	if len(data) == 0 {
		return ImageInfo{}, imageErr(ErrImageEmpty, "zero bytes")
	}
	if len(data) > MaxImageBytes {
		return ImageInfo{}, imageErr(ErrImageTooLarge, "%d bytes (limit %d)", len(data), MaxImageBytes)
	}
	var info ImageInfo
	switch {
	case bytes.HasPrefix(data, magicJPEG):
		w, h, err := jpegSize(data)
		if err != nil {
			return ImageInfo{}, err
		}
		info = ImageInfo{Format: "jpeg", Width: w, Height: h}
	case bytes.HasPrefix(data, magicPNG):
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return ImageInfo{}, imageErr(ErrImageCorrupt, "header: %v", err)
		}
		info = ImageInfo{Format: "png", Width: cfg.Width, Height: cfg.Height}
	case bytes.HasPrefix(data, magicJP2):
		w, h, err := jp2Size(data)
		if err != nil {
			return ImageInfo{}, err
		}
		info = ImageInfo{Format: "jp2", Width: w, Height: h}
	case bytes.HasPrefix(data, magicJ2K):
		w, h, err := j2kSize(data)
		if err != nil {
			return ImageInfo{}, err
		}
		info = ImageInfo{Format: "j2k", Width: w, Height: h}
	default:
		n := min(len(data), 8)
		return ImageInfo{}, imageErr(ErrImageFormat, "not JPEG, PNG or JPEG 2000 (starts % x)", data[:n])
	}
	if info.Width < MinImageSide || info.Height < MinImageSide {
		return info, imageErr(ErrImageTooSmall, "%d×%d pixels (minimum %d per side)", info.Width, info.Height, MinImageSide)
	}
	if info.Width > MaxImageSide || info.Height > MaxImageSide || info.Width*info.Height > MaxImagePixels {
		return info, imageErr(ErrImageTooLarge, "%d×%d pixels (limit %d per side, %d in all)", info.Width, info.Height, MaxImageSide, MaxImagePixels)
	}
	return info, nil
}

// jpegSize walks the JPEG marker segments to the first frame header (SOFn), which
// holds height then width. Only headers are read, never entropy-coded data.
func jpegSize(data []byte) (int, int, error) {
	i := 2 // after SOI
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return 0, 0, imageErr(ErrImageCorrupt, "JPEG marker expected at byte %d", i)
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01: // no length
			i += 2
			continue
		case m == 0xD9 || m == 0xDA: // EOI or SOS before any frame header
			return 0, 0, imageErr(ErrImageCorrupt, "JPEG without a frame header")
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 0, 0, imageErr(ErrImageCorrupt, "JPEG segment runs past the end")
		}
		if m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC {
			if n < 7 {
				return 0, 0, imageErr(ErrImageCorrupt, "JPEG frame header too short")
			}
			h := int(binary.BigEndian.Uint16(data[i+5:]))
			w := int(binary.BigEndian.Uint16(data[i+7:]))
			return w, h, nil
		}
		i += 2 + n
	}
	return 0, 0, imageErr(ErrImageCorrupt, "JPEG header truncated")
}

// jp2Size walks the JP2 boxes to jp2h/ihdr, which holds height then width.
func jp2Size(data []byte) (int, int, error) {
	var find func(b []byte, want string) []byte
	find = func(b []byte, want string) []byte {
		for len(b) >= 8 {
			size := uint64(binary.BigEndian.Uint32(b))
			typ := string(b[4:8])
			hdr := uint64(8)
			switch size {
			case 0:
				size = uint64(len(b))
			case 1:
				if len(b) < 16 {
					return nil
				}
				size = binary.BigEndian.Uint64(b[8:16])
				hdr = 16
			}
			if size < hdr || size > uint64(len(b)) {
				return nil
			}
			if typ == want {
				return b[hdr:size]
			}
			b = b[size:]
		}
		return nil
	}
	jp2h := find(data, "jp2h")
	if jp2h == nil {
		return 0, 0, imageErr(ErrImageCorrupt, "JPEG 2000 file without a jp2h header box")
	}
	ihdr := find(jp2h, "ihdr")
	if len(ihdr) < 14 {
		return 0, 0, imageErr(ErrImageCorrupt, "JPEG 2000 file without an image header")
	}
	h := binary.BigEndian.Uint32(ihdr[0:4])
	w := binary.BigEndian.Uint32(ihdr[4:8])
	return clampDim(w), clampDim(h), nil
}

// j2kSize reads the SIZ marker segment that must follow SOC in a raw codestream.
func j2kSize(data []byte) (int, int, error) {
	// SOC(2) SIZ(2) Lsiz(2) Rsiz(2) Xsiz(4) Ysiz(4) XOsiz(4) YOsiz(4)
	if len(data) < 24 {
		return 0, 0, imageErr(ErrImageCorrupt, "JPEG 2000 codestream truncated")
	}
	x := binary.BigEndian.Uint32(data[8:12])
	y := binary.BigEndian.Uint32(data[12:16])
	xo := binary.BigEndian.Uint32(data[16:20])
	yo := binary.BigEndian.Uint32(data[20:24])
	if xo > x || yo > y {
		return 0, 0, imageErr(ErrImageCorrupt, "JPEG 2000 image offset outside the image")
	}
	return clampDim(x - xo), clampDim(y - yo), nil
}

// clampDim keeps absurd header values from overflowing int arithmetic on 32-bit
// platforms; anything this large is refused later anyway.
func clampDim(v uint32) int {
	if v > 1<<24 {
		return 1 << 24
	}
	return int(v)
}

// DecodeImage validates an encoded image (see InspectImage) and decodes it to an
// 8-bit BGR Mat; greyscale photos are expanded to three channels. The caller closes
// the Mat.
func DecodeImage(data []byte) (gocv.Mat, ImageInfo, error) {
	info, err := InspectImage(data)
	if err != nil {
		return gocv.Mat{}, info, err
	}
	m, err := gocv.IMDecode(data, gocv.IMReadColor)
	if err != nil {
		return gocv.Mat{}, info, imageErr(ErrImageCorrupt, "decoding %s: %v", info.Format, err)
	}
	if m.Empty() {
		m.Close()
		return gocv.Mat{}, info, imageErr(ErrImageCorrupt, "OpenCV could not decode this %s", info.Format)
	}
	if m.Cols() != info.Width || m.Rows() != info.Height || m.Type() != gocv.MatTypeCV8UC3 {
		w, h := m.Cols(), m.Rows()
		m.Close()
		return gocv.Mat{}, info, imageErr(ErrImageCorrupt, "decoded %d×%d, header said %d×%d", w, h, info.Width, info.Height)
	}
	return m, info, nil
}
