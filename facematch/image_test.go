package facematch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"testing"

	"gocv.io/x/gocv"
)

// pngHeader builds a PNG whose IHDR claims w×h (with a valid CRC) and no pixel data.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.Write(magicPNG)
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// jpegHeader builds a baseline JPEG SOF0 claiming w×h, with nothing after it.
func jpegHeader(w, h uint16) []byte {
	b := []byte{0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8}
	b = binary.BigEndian.AppendUint16(b, h)
	b = binary.BigEndian.AppendUint16(b, w)
	return append(b, 1, 1, 0x11, 0, 0xFF, 0xD9)
}

// jp2Header builds the JP2 signature, ftyp and a jp2h/ihdr claiming w×h.
func jp2Header(w, h uint32) []byte {
	b := append([]byte{}, magicJP2...)
	b = append(b, 0, 0, 0, 20, 'f', 't', 'y', 'p', 'j', 'p', '2', ' ', 0, 0, 0, 0, 'j', 'p', '2', ' ')
	ihdr := []byte{0, 0, 0, 22, 'i', 'h', 'd', 'r'}
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = append(ihdr, 0, 3, 7, 7, 0, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(8+len(ihdr)))
	b = append(b, 'j', 'p', '2', 'h')
	return append(b, ihdr...)
}

func encodePNG(t *testing.T, w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeWith(t *testing.T, ext gocv.FileExt, m gocv.Mat) []byte {
	buf, err := gocv.IMEncode(ext, m)
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close()
	return bytes.Clone(buf.GetBytes())
}

func TestDecodeImageRejects(t *testing.T) {
	portrait := readTestFile(t, "testdata/faces/facedetect_grace_hopper.jpg")
	var gifBuf bytes.Buffer
	gif.Encode(&gifBuf, image.NewPaletted(image.Rect(0, 0, 40, 40), []color.Color{color.Black, color.White}), nil)
	corruptBody := bytes.Clone(portrait)
	for i := 600; i < len(corruptBody)-2; i++ {
		corruptBody[i] = byte(i * 7)
	}
	tests := []struct {
		name string
		data []byte
		want error // nil: must not crash, may decode
	}{
		{"zero bytes", nil, ErrImageEmpty},
		{"random bytes", []byte("this is not an image, it is a sentence"), ErrImageFormat},
		{"GIF", gifBuf.Bytes(), ErrImageFormat},
		{"BMP", append([]byte("BM"), make([]byte, 60)...), ErrImageFormat},
		{"WebP", append([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), make([]byte, 30)...), ErrImageFormat},
		{"huge PNG header", pngHeader(100000, 100000), ErrImageTooLarge},
		{"wide PNG header", pngHeader(20000, 100), ErrImageTooLarge},
		{"absurd PNG header", pngHeader(0x7FFFFFFF, 0x7FFFFFFF), ErrImageCorrupt}, // Go refuses it as invalid
		{"huge JPEG header", jpegHeader(60000, 60000), ErrImageTooLarge},
		{"huge JPEG 2000 header", jp2Header(0xFFFFFFFF, 0xFFFFFFFF), ErrImageTooLarge},
		{"JPEG 2000 without header box", append(bytes.Clone(magicJP2), make([]byte, 40)...), ErrImageCorrupt},
		{"JPEG 2000 header, no codestream", jp2Header(200, 300), ErrImageCorrupt},
		{"J2K codestream truncated", []byte{0xFF, 0x4F, 0xFF, 0x51, 0, 41}, ErrImageCorrupt},
		{"tiny PNG", encodePNG(t, 10, 10), ErrImageTooSmall},
		{"PNG header only", pngHeader(200, 200), ErrImageCorrupt},
		{"JPEG header only", jpegHeader(200, 200), ErrImageCorrupt},
		{"JPEG truncated", portrait[:len(portrait)/3], nil},
		{"JPEG body scrambled", corruptBody, nil},
		{"over the byte limit", append(bytes.Clone(magicJPEG), make([]byte, MaxImageBytes)...), ErrImageTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := DecodeImage(tt.data)
			if err == nil {
				defer m.Close()
				if tt.want != nil {
					t.Fatalf("decoded %dx%d, want %v", m.Cols(), m.Rows(), tt.want)
				}
				return
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			var ie *ImageError
			if !errors.As(err, &ie) {
				t.Errorf("error %T is not an *ImageError", err)
			}
		})
	}
}

func TestDecodeImageFormats(t *testing.T) {
	src, _, err := DecodeImage(readTestFile(t, "testdata/faces/facedetect_grace_hopper.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(src, &small, image.Pt(100, 100), 0, 0, gocv.InterpolationArea)
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(small, &grey, gocv.ColorBGRToGray)
	tests := []struct {
		name, format string
		data         []byte
	}{
		{"jpeg colour", "jpeg", encodeWith(t, gocv.JPEGFileExt, small)},
		{"jpeg grey", "jpeg", encodeWith(t, gocv.JPEGFileExt, grey)},
		{"png grey", "png", encodeWith(t, gocv.PNGFileExt, grey)},
		{"jpeg 2000", "jp2", encodeWith(t, ".jp2", small)},
		{"jpeg 2000 grey", "jp2", encodeWith(t, ".jp2", grey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, info, err := DecodeImage(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if info.Format != tt.format || info.Width != 100 || info.Height != 100 {
				t.Errorf("info %+v", info)
			}
			if m.Type() != gocv.MatTypeCV8UC3 || m.Cols() != 100 || m.Rows() != 100 {
				t.Errorf("decoded %v %dx%d", m.Type(), m.Cols(), m.Rows())
			}
		})
	}
}

func FuzzInspectImage(f *testing.F) {
	f.Add(pngHeader(100, 100))
	f.Add(jpegHeader(100, 100))
	f.Add(jp2Header(100, 100))
	f.Add([]byte{0xFF, 0x4F, 0xFF, 0x51})
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := InspectImage(b)
		if err == nil && (info.Width < MinImageSide || info.Width > MaxImageSide || info.Height < MinImageSide || info.Height > MaxImageSide) {
			t.Fatalf("accepted %+v", info)
		}
	})
}
