module cairn/loadgen

go 1.21
