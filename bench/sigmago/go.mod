module github.com/yagura-soc/yagura/bench/sigmago

go 1.26.8

require (
	github.com/bradleyjkemp/sigma-go v0.6.6
	github.com/yagura-soc/yagura v0.0.0
)

require (
	github.com/BobuSumisu/aho-corasick v1.0.3 // indirect
	github.com/PaesslerAG/gval v1.0.0 // indirect
	github.com/PaesslerAG/jsonpath v0.1.1 // indirect
	github.com/alecthomas/participle v0.7.1 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

// The comparison replays events parsed by Yagura's own Windows parser so
// both engines see identical input; the product never imports this module.
replace github.com/yagura-soc/yagura => ../..
