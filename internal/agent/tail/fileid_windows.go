package tail

import (
	"os"
	"syscall"
)

// fileID cannot read an identity from FileInfo on Windows; openID asks the
// handle instead.
func fileID(os.FileInfo) (dev, ino uint64) { return 0, 0 }

// openID is the volume serial number and file index of an open file: its
// identity across renames.
func openID(f *os.File) (dev, ino uint64, err error) {
	var info syscall.ByHandleFileInformation
	if err := syscall.GetFileInformationByHandle(syscall.Handle(f.Fd()), &info); err != nil {
		return 0, 0, err
	}
	return uint64(info.VolumeSerialNumber), uint64(info.FileIndexHigh)<<32 | uint64(info.FileIndexLow), nil
}

// pathID is the identity of the file at path.
func pathID(path string) (dev, ino uint64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	return openID(f)
}
