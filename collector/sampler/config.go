package sampler

import (
	"regexp"
	"strings"
)

// Config says where the host's pseudo-filesystems are and what to skip.
// The zero value is not useful; start from DefaultConfig.
type Config struct {
	// ProcRoot and SysRoot are the host's /proc and /sys, e.g. /host/proc
	// and /host/sys when mounted read-only into a container.
	ProcRoot string
	SysRoot  string
	// RootFS is the host's / as the collector sees it. Filesystem usage
	// needs statfs(2) on each mount point, and a container only reaches the
	// host's mount points through a read-only hostPath mount of / (the
	// mount table itself comes from <ProcRoot>/1/mountinfo).
	RootFS string

	// NetInclude, when set, keeps only interfaces it matches; NetExclude
	// drops interfaces it matches (applied after NetInclude).
	NetInclude *regexp.Regexp
	NetExclude *regexp.Regexp
	// DiskExclude drops block devices it matches. Partitions are dropped
	// unless DiskPartitions, because their IO is already counted in their
	// disk's numbers.
	DiskExclude    *regexp.Regexp
	DiskPartitions bool
	// FSTypesExclude are filesystem types that never hold node data worth
	// charting (pseudo, in-memory, container layers) or whose statfs can
	// hang when a server is gone (network filesystems).
	FSTypesExclude map[string]bool
	// MountsExclude drops mount points it matches: pod volumes and container
	// runtime internals, which belong to workloads rather than the node.
	MountsExclude *regexp.Regexp

	// TopProcs > 0 adds the N processes using the most CPU (off by default:
	// process names and pids make many short-lived series).
	TopProcs int
}

// Default filters. Kept as strings so flags can show and override them.
const (
	// Per-pod and overlay devices of the common CNIs (veth/cali/lxc/eni/gke/
	// azv are per pod; flannel, vxlan, tunl, genev, cilium_*, kube-*, ovs/ovn,
	// antrea, weave are overlays and bridges) would double-count the
	// physical traffic and churn series.
	DefaultNetExclude    = `^(lo|veth.*|docker.*|cni.*|flannel.*|cali.*|cilium.*|lxc.*|eni.*|gke.*|azv.*|vxlan.*|tunl.*|tun.*|tap.*|kube-.*|nodelocaldns|ovs-.*|ovn-.*|antrea-.*|virbr.*|br-.*|ifb.*|weave.*|vethwe.*|datapath|genev_sys.*|dummy.*|nerdctl.*|podman.*)$`
	DefaultDiskExclude   = `^(ram|zram|loop|fd|sr|nbd)[0-9]+$`
	DefaultMountsExclude = `^/(dev|proc|sys)(/|$)|^/var/lib/(docker|containerd|kubelet/pods|kubelet/plugins|rancher/k3s/agent/containerd)/|^/run/(containerd|k3s|netns|user|docker|crio)/`
	DefaultFSTypes       = "autofs,binfmt_misc,bpf,cgroup,cgroup2,configfs,debugfs,devpts,devtmpfs,efivarfs,erofs,fuse.lxcfs,fusectl,hugetlbfs,iso9660,mqueue,nsfs,overlay,aufs,proc,pstore,ramfs,rpc_pipefs,securityfs,selinuxfs,squashfs,sysfs,tmpfs,tracefs,shm,nfs,nfs4,cifs,smb3,smbfs,ceph,fuse.sshfs"
)

// DefaultConfig samples the local host with the default filters.
func DefaultConfig() Config {
	return Config{
		ProcRoot:       "/proc",
		SysRoot:        "/sys",
		RootFS:         "/",
		NetExclude:     regexp.MustCompile(DefaultNetExclude),
		DiskExclude:    regexp.MustCompile(DefaultDiskExclude),
		FSTypesExclude: ParseSet(DefaultFSTypes),
		MountsExclude:  regexp.MustCompile(DefaultMountsExclude),
	}
}

// ParseSet turns "a,b,c" into a set.
func ParseSet(list string) map[string]bool {
	set := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			set[s] = true
		}
	}
	return set
}
