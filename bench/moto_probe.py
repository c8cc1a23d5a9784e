"""What one describe costs in moto as its state grows, with and without infra/moto_server.py's fix.

    .venv/bin/python bench/moto_probe.py 800            # moto as released
    .venv/bin/python bench/moto_probe.py 800 --patched  # with the tag lookup fix

Builds N Auto Scaling groups (launch template, 2 instances, 5 propagated tags, every other one in
one target group) in moto's in-process mock, and times the describes Bosun's activities send at
N/4, N/2 and N groups. Prints milliseconds per call.
"""

import os
import sys
import time

import boto3
from moto import mock_aws

N = int(sys.argv[1]) if len(sys.argv) > 1 else 800
if "--patched" in sys.argv:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "infra"))
    import moto_server

    moto_server.install()

with mock_aws():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    asg = boto3.client("autoscaling", region_name="us-east-1")
    elb = boto3.client("elbv2", region_name="us-east-1")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    tg = elb.create_target_group(Name="tg-probe", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]

    def probe(made: int, ids: list[str]) -> None:
        name = "app0001-main-v000"
        calls = {
            "DescribeInstances tag:aws:autoscaling:groupName": lambda: ec2.describe_instances(
                Filters=[{"Name": "tag:aws:autoscaling:groupName", "Values": [name]}]
            ),
            "DescribeInstances instance-id filter": lambda: ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": ids}]),
            "DescribeAutoScalingGroups by name": lambda: asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name]),
            "DescribeAutoScalingGroups by application tag": lambda: asg.describe_auto_scaling_groups(
                Filters=[{"Name": "tag:spinnaker:application", "Values": ["app0001"]}]
            ),
            "DescribeLaunchTemplates by name": lambda: ec2.describe_launch_templates(LaunchTemplateNames=[name]),
            "DescribeImages by name": lambda: ec2.describe_images(
                Owners=["self", "amazon"], Filters=[{"Name": "name", "Values": [image["Name"]]}]
            ),
            "DescribeTargetHealth (N/2 targets)": lambda: elb.describe_target_health(TargetGroupArn=tg),
        }
        for label, call in calls.items():
            start = time.perf_counter()
            call()
            print(f"{made} groups  {label}: {(time.perf_counter() - start) * 1000:.0f} ms", flush=True)

    made = 0
    for step in (N // 4, N // 2, N):
        while made < step:
            app = f"app{made:04d}"
            name = f"{app}-main-v000"
            ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": image["ImageId"], "InstanceType": "t3.micro"})
            tags = {"spinnaker:application": app, "spinnaker:cluster": f"{app}-main", "spinnaker:stack": "main", "bosun:task": "t" * 36, "bosun:owner": "probe"}
            asg.create_auto_scaling_group(
                AutoScalingGroupName=name,
                LaunchTemplate={"LaunchTemplateName": name},
                MinSize=1,
                MaxSize=3,
                DesiredCapacity=2,
                AvailabilityZones=["us-east-1a", "us-east-1b"],
                TargetGroupARNs=[tg] if made % 2 == 0 else [],
                Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in tags.items()],
            )
            made += 1
        group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["app0001-main-v000"])["AutoScalingGroups"][0]
        probe(made, [i["InstanceId"] for i in group["Instances"]])
