//go:build !windows

package tail

import (
	"os"
	"syscall"
)

// fileID is the device and inode of a file: its identity across renames.
func fileID(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}

func openID(f *os.File) (dev, ino uint64, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	dev, ino = fileID(fi)
	return dev, ino, nil
}

// pathID is the identity of the file at path.
func pathID(path string) (dev, ino uint64, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	dev, ino = fileID(fi)
	return dev, ino, nil
}
