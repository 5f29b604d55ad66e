package main

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/facematch"
)

// TestAdapterDefaultsMatchConfig: facematch keeps its own defaults now that it does
// not read config; the configuration's defaults must translate to exactly them.
func TestAdapterDefaultsMatchConfig(t *testing.T) {
	if got, want := faceOptions(config.Default().Face), facematch.DefaultOptions(); got != want {
		t.Errorf("faceOptions(config defaults) = %+v\nfacematch.DefaultOptions() = %+v", got, want)
	}
}

// TestFaceOptionsCarryEveryKey gives every face key a distinct value and expects to
// find each one, once, in facematch.Options: a key dropped on the way (or an option
// no key sets) fails here.
func TestFaceOptionsCarryEveryKey(t *testing.T) {
	var c config.FaceConfig
	var want []string
	n := 0
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		for i := 0; i < v.NumField(); i++ {
			f, name := v.Field(i), v.Type().Field(i).Name
			if name == "ModelsDir" || name == "Camera" { // not pipeline numbers: NewEngine's dir, OpenSource's options
				continue
			}
			n++
			switch {
			case f.Type() == reflect.TypeOf(time.Duration(0)):
				f.SetInt(int64(time.Duration(n) * time.Second))
			case f.Kind() == reflect.Struct:
				fill(f)
				continue
			case f.Kind() == reflect.Float64:
				f.SetFloat(float64(n) + 0.5)
			case f.Kind() == reflect.Int:
				f.SetInt(int64(1000 + n))
			case f.Kind() == reflect.Bool:
				f.SetBool(true)
			default:
				t.Fatalf("face key %s of kind %s: teach this test", name, f.Kind())
			}
			want = append(want, fmt.Sprint(f.Interface()))
		}
	}
	fill(reflect.ValueOf(&c).Elem())
	o := reflect.ValueOf(faceOptions(c))
	var got []string
	for i := 0; i < o.NumField(); i++ {
		got = append(got, fmt.Sprint(o.Field(i).Interface()))
	}
	sort.Strings(want)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values in facematch.Options %v\nwant the face keys' %v", got, want)
	}
}

// TestCameraAndPrinterOptionsCopyEveryField: the camera and printer options have the
// configuration's field names; every field set in config arrives.
func TestCameraAndPrinterOptionsCopyEveryField(t *testing.T) {
	cam := config.CameraConfig{Index: 3, Device: "/dev/video3", Video: "v.mp4", Images: "dir", Width: 800, Height: 600, FPS: 15}
	sameFields(t, cam, cameraOptions(cam))
	pr := config.PrinterConfig{Queue: "receipt", Folder: "/r", Timeout: 7 * time.Second}
	sameFields(t, pr, printerOptions(pr))
}

func sameFields(t *testing.T, from, to any) {
	t.Helper()
	fv, tv := reflect.ValueOf(from), reflect.ValueOf(to)
	if fv.NumField() != tv.NumField() {
		t.Errorf("%T has %d fields, %T %d", from, fv.NumField(), to, tv.NumField())
	}
	for i := 0; i < fv.NumField(); i++ {
		name := fv.Type().Field(i).Name
		if fv.Field(i).IsZero() {
			t.Fatalf("%T.%s: give it a value in this test", from, name)
		}
		g := tv.FieldByName(name)
		if !g.IsValid() || g.Interface() != fv.Field(i).Interface() {
			t.Errorf("%T.%s = %v did not arrive in %T", from, name, fv.Field(i).Interface(), to)
		}
	}
}
