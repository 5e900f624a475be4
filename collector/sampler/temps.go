package sampler

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Temperatures outside this range are sensor sentinels or faults (-128,
// 255, unconnected inputs), not readings.
const minCelsius, maxCelsius = -60.0, 200.0

// sampleTemps emits hwmon sensors and thermal zones.
func (s *Sampler) sampleTemps(out *emitter) error {
	seen := map[string]bool{}
	add := func(device string, milli int64) {
		c := float64(milli) / 1000
		if c <= minCelsius || c >= maxCelsius || seen[device] {
			return
		}
		seen[device] = true
		out.add(TempCelsius, device, RoundTo(c, tempStep))
	}
	err := s.hwmonTemps(add)

	zones, zerr := s.sys.ClassThermalZoneStats()
	if zerr != nil {
		return errors.Join(err, zerr)
	}
	for _, z := range zones {
		// procfs reports a zone whose temp cannot be read (disabled zones
		// answer EINVAL) as 0 with the error joined in; skip those.
		if z.Type == "" || (z.ReadErrors != nil && z.Temp == 0) {
			continue
		}
		dev := "thermal/" + z.Type
		if seen[dev] {
			dev += "#" + z.Name // several zones of one type (acpitz)
		}
		add(dev, z.Temp)
	}
	return err
}

// hwmonTemps reads /sys/class/hwmon/*/temp*_input. procfs has no hwmon
// reader, so this is the one sysfs parser of our own; it reads the
// documented ABI (Documentation/hwmon/sysfs-interface.rst): millidegrees in
// tempN_input, an optional tempN_label, the chip in name. Sensors that
// fail to read (EIO, ENODATA from a fault) are skipped.
func (s *Sampler) hwmonTemps(add func(device string, milli int64)) error {
	base := filepath.Join(s.cfg.SysRoot, "class", "hwmon")
	entries, err := os.ReadDir(base)
	if err != nil {
		if isNotExist(err) {
			return nil // no hwmon: VMs, many ARM boards
		}
		return err
	}
	chips := map[string]int{}
	for _, e := range entries {
		dir := filepath.Join(base, e.Name())
		name := readTrim(filepath.Join(dir, "name"))
		inputs, _ := filepath.Glob(filepath.Join(dir, "temp*_input"))
		if len(inputs) == 0 {
			// Kernels before 3.x put the attributes under device/.
			if name == "" {
				name = readTrim(filepath.Join(dir, "device", "name"))
			}
			inputs, _ = filepath.Glob(filepath.Join(dir, "device", "temp*_input"))
		}
		if name == "" {
			name = e.Name()
		}
		// Two chips of one driver (two NVMe drives, two sockets) would
		// share names; the second and later get their hwmon index.
		chips[name]++
		chip := name
		if chips[name] > 1 {
			chip = name + "@" + e.Name()
		}
		for _, in := range inputs {
			idx := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(in), "temp"), "_input")
			raw := readTrim(in)
			milli, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				continue
			}
			label := readTrim(filepath.Join(filepath.Dir(in), "temp"+idx+"_label"))
			if label == "" {
				label = "temp" + idx
			}
			add(chip+"/"+label, milli)
		}
	}
	return nil
}

// readTrim reads a small sysfs attribute; "" when it is missing or fails.
func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
