rule geometry:
    output:
        model="results/geometries/{geometry}/geometry.xao",
        numbers="results/geometries/{geometry}/geometry.json",
    log:
        "results/logs/geometry/{geometry}.log",
    benchmark:
        "results/benchmarks/geometry/{geometry}.tsv"
    group:
        point_group
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        geometry=geometry_params,
    script:
        "../scripts/geometry.py"
